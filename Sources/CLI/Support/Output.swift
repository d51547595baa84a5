import Engine
import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered writes to the standard streams. Every text passes through
/// `Secrets.redact`, so no key reaches the screen or a pipe; the first failed
/// write to stdout is remembered, so the command can say the answer was lost.
public enum Output {
    /// errno of the first write to stdout that failed; 0 while none has.
    static let stdoutErrno = Atomic<Int32>(0)
    /// Answer text on a terminal has its control characters filtered out (set at start).
    nonisolated(unsafe) static var filterAnswer = false

    /// Answer text is written in pieces: its redactor sees across them.
    private static let answerRedactor = Mutex(StreamRedactor())

    public static func stdout(_ text: String) {
        // Answer text held back (a possible start of a key) goes first.
        endAnswer()
        write(1, shown(text))
    }

    public static func stderr(_ text: String) {
        // A note between two pieces of an answer comes after the text before it, as on the screen.
        endAnswer()
        write(2, shown(text))
    }

    /// `text` as it reaches a stream: with every registered key redacted.
    static func shown(_ text: String) -> String { Secrets.redact(text) }

    /// Answer text from a model: on a terminal without the control characters
    /// that would move the cursor or change colours; byte for byte into a pipe.
    /// A key split between two pieces is redacted all the same: the end of
    /// a piece that may begin a key waits for the next piece or `endAnswer`.
    public static func answer(_ text: String) {
        let ready = answerRedactor.withLock { $0.feed(filterAnswer ? TerminalText.printable(text) : text) }
        if !ready.isEmpty { write(1, ready) }
    }

    /// The answer has ended: whatever it held back is written, redacted.
    public static func endAnswer() {
        let rest = answerRedactor.withLock { $0.isHolding ? $0.flush() : "" }
        if !rest.isEmpty { write(1, rest) }
    }

    /// Why stdout could not be written, if it could not.
    static var stdoutFailure: Int32? {
        let e = stdoutErrno.load(ordering: .relaxed)
        return e == 0 ? nil : e
    }

    static func write(_ fd: Int32, _ text: String) {
        // Once stdout has failed, the rest of the answer has nowhere to go.
        if fd == 1, stdoutErrno.load(ordering: .relaxed) != 0 { return }
        if fd == 1, StandardStreams.stdoutWasClosed {
            stdoutErrno.store(EBADF, ordering: .relaxed)
            return
        }
        var text = text
        // Native strings are contiguous UTF-8: written in place, never copied.
        text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, base + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if fd == 1 { _ = stdoutErrno.compareExchange(expected: 0, desired: errno, ordering: .relaxed) }
                    return
                }
                offset += n
            }
        }
    }
}

/// Text made safe for a terminal.
enum TerminalText {
    /// `text` without C0 and C1 control characters and DEL, keeping line feeds and tabs.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars where !isControl(s) { out.append(s) }
        return String(out)
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x0A, 0x09: return false
        case 0x00..<0x20, 0x7F, 0x80..<0xA0: return true
        default: return false
        }
    }

    /// How many columns `text` takes: escape sequences (colour) take none.
    static func width(_ text: String) -> Int {
        var n = 0
        visible(text) { _ in n += 1 }
        return n
    }

    /// Calls `body` with each scalar of `text` a terminal shows, escape sequences skipped.
    static func visible(_ text: String, _ body: (Unicode.Scalar) -> Void) {
        var inEscape = false
        for c in text.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(c.value), c != "[" { inEscape = false }
                continue
            }
            if c == "\u{1B}" { inEscape = true; continue }
            body(c)
        }
    }

    /// `text` in at most `width` columns: its start and end with "…" between
    /// (model names differ at their ends). Colour is dropped from a cut text.
    static func elide(_ text: String, to width: Int) -> String {
        guard TerminalText.width(text) > width else { return text }
        guard width > 1 else { return width == 1 ? "…" : "" }
        var plain: [Unicode.Scalar] = []
        visible(text) { plain.append($0) }
        let tail = (width - 1) / 2, head = width - 1 - tail
        var out = String.UnicodeScalarView()
        out.append(contentsOf: plain.prefix(head))
        out.append("…")
        out.append(contentsOf: plain.suffix(tail))
        return String(out)
    }
}
