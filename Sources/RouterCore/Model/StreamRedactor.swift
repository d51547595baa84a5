/// Redacts text that is written in pieces (a streamed answer, an answer kept
/// in 64 KiB pieces): a key split across two pieces is found all the same.
/// The end of a piece that could be the start of a key is held back until
/// the next piece, or the end, says what it is.
public struct StreamRedactor: Sendable {
    private var held = ""

    public init() {}

    /// Whether text is held back, waiting for the next piece.
    public var isHolding: Bool { !held.isEmpty }

    /// What of `piece` (after what was held) can be written now, redacted.
    public mutating func feed(_ piece: String) -> String {
        let text = held.isEmpty ? piece : held + piece
        let keep = Secrets.pendingKeyPrefix(text)
        guard keep > 0 else {
            held = ""
            return Secrets.redact(text)
        }
        let utf8 = text.utf8
        var cut = utf8.index(utf8.endIndex, offsetBy: -keep)
        // Never inside a character: back to the start of the scalar.
        while cut > utf8.startIndex, cut.samePosition(in: text.unicodeScalars) == nil {
            cut = utf8.index(before: cut)
        }
        held = String(text[cut...])
        return Secrets.redact(String(text[..<cut]))
    }

    /// Everything still held, redacted: the text has ended.
    public mutating func flush() -> String {
        defer { held = "" }
        return Secrets.redact(held)
    }
}
