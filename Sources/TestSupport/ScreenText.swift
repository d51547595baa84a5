/// How a terminal shows a line: escape sequences (colour, cursor moves) take no columns.
public enum TerminalTextWidth {
    public static func of(_ line: String) -> Int { plain(line).unicodeScalars.count }

    /// The line as shown: without escape sequences and control characters.
    public static func plain(_ line: String) -> String {
        var out = String.UnicodeScalarView()
        var inEscape = false
        for c in line.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(c.value), c != "[" { inEscape = false }
                continue
            }
            if c == "\u{1B}" { inEscape = true; continue }
            if c.value < 0x20 { continue }
            out.append(c)
        }
        return String(out)
    }
}
