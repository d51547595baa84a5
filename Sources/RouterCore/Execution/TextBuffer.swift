/// Answer text as it accumulates: 64 KiB pieces with their capacity reserved
/// up front, so a long answer costs its own size in memory, not the up-to-double
/// that a single growing string costs.
public struct TextBuffer: Sendable, Equatable {
    public private(set) var pieces: [String] = []
    public private(set) var utf8Count = 0

    static let pieceSize = 64 << 10

    public init() {}

    public var isEmpty: Bool { utf8Count == 0 }

    public mutating func append(_ text: String) {
        let n = text.utf8.count
        guard n > 0 else { return }
        utf8Count += n
        if var last = pieces.popLast() {
            if last.utf8.count + n <= Self.pieceSize {
                last += text // uniquely held after popLast: appended in place
                pieces.append(last)
                return
            }
            pieces.append(last)
        }
        if n >= Self.pieceSize {
            pieces.append(text)
            return
        }
        var piece = String()
        piece.reserveCapacity(Self.pieceSize)
        piece += text
        pieces.append(piece)
    }

    /// The whole text as one string.
    public var joined: String { pieces.count == 1 ? pieces[0] : pieces.joined() }
}
