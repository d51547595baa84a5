#if canImport(Glibc)
import Glibc
#endif

/// Lines of text as people's files have them: split at LF, a CR before it
/// dropped (CRLF files), blank lines kept so that line numbers stay true.
public enum TextLines {
    public static func split(_ text: String) -> [Substring] {
        // Split on the byte, not the Character: "\r\n" is a single Character in Swift.
        var lines: [Substring] = []
        var start = text.startIndex
        var i = text.utf8.startIndex
        while i != text.utf8.endIndex {
            if text.utf8[i] == UInt8(ascii: "\n") {
                lines.append(Self.dropCR(text[start..<i]))
                start = text.utf8.index(after: i)
            }
            i = text.utf8.index(after: i)
        }
        if start != text.endIndex { lines.append(Self.dropCR(text[start...])) }
        return lines
    }

    static func dropCR(_ line: Substring) -> Substring {
        line.utf8.last == UInt8(ascii: "\r") ? line.dropLast() : line
    }
}

/// Reads a descriptor a line at a time, as the lines arrive: a program that
/// writes a line and waits for the answer (a coprocess) gets it.
public struct LineReader {
    public struct Failure: Error, Sendable {
        public var message: String
    }

    private let fd: Int32
    private let limit: Int
    private var pending: [UInt8] = []
    private var total = 0
    private var ended = false
    /// The number of the line `next()` returned last (1 for the first).
    public private(set) var lineNumber = 0

    /// `limit`: the most bytes read in all; more is an error, never a cut.
    public init(fd: Int32, limit: Int) {
        self.fd = fd
        self.limit = limit
    }

    /// The next line without its end (LF or CRLF), nil at the end of the input.
    public mutating func next() throws(Failure) -> String? {
        while true {
            if let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(pending[..<nl])
                pending.removeSubrange(...nl)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return try text(line)
            }
            if ended {
                guard !pending.isEmpty else { return nil }
                defer { pending = [] }
                return try text(pending)
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(message: "cannot read stdin: \(String(cString: strerror(errno)))")
            }
            if n == 0 { ended = true; continue }
            total += n
            guard total <= limit else { throw Failure(message: "stdin holds more than \(limit >> 20) MiB; llmr reads at most that") }
            pending += chunk[0..<n]
        }
    }

    private mutating func text(_ bytes: [UInt8]) throws(Failure) -> String {
        lineNumber += 1
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw Failure(message: "stdin line \(lineNumber) is not UTF-8 text; llmr sends text only")
        }
        if s.contains("\0") { throw Failure(message: "stdin line \(lineNumber) holds NUL bytes, so it looks binary; llmr sends text only") }
        return s
    }
}
