extension JSONValue {
    /// Compact JSON text. Non-finite numbers, which JSON cannot hold, become null.
    public func serialized() -> String {
        String(decoding: bytes(), as: UTF8.self)
    }

    /// Compact JSON as UTF-8 bytes, written straight into one buffer: request
    /// bodies (a prompt, a whole conversation) are on the hot path of `bench`.
    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .number(let n): out += Self.format(n).utf8
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func format(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        // Fifteen significant digits in plain notation: a cost reads 0.0000186,
        // not 1.86e-05, and 5.300000000000001e-06 loses its noise. Magnitudes
        // that would need more than 30 decimals keep Swift's exponent form.
        return NumberText.decimal(n, significant: 15)
    }

    /// The index of the first byte at or after `i` that may need an escape:
    /// a control character, a quote, a backslash or 0xE2 (U+2028/U+2029 start
    /// with it). Eight bytes are tested at once; prompts are long and plain.
    @inline(__always)
    static func plainRun(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        // x has a zero byte exactly when (x - ones) & ~x & highs is not 0.
        func hasZero(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        if let base = b.baseAddress {
            while i + 8 <= b.count {
                let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                // The same test for a byte below 0x20 (exact for the lowest such byte, which is all a break needs).
                let control = (w &- 0x2020_2020_2020_2020) & ~w & highs != 0
                if control || hasZero(w ^ 0x2222_2222_2222_2222) || hasZero(w ^ 0x5C5C_5C5C_5C5C_5C5C)
                    || hasZero(w ^ 0xE2E2_E2E2_E2E2_E2E2) { break }
                i += 8
            }
        }
        while i < b.count {
            let c = b[i]
            if c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c == 0xE2 { return i }
            i += 1
        }
        return i
    }

    /// A JSON string: runs of bytes that need no escape are copied whole;
    /// quotes, backslashes, control characters and U+2028/U+2029 are escaped.
    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { b in
            var run = 0
            var i = 0
            func flush() {
                if run < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<i])) }
            }
            while i < b.count {
                // Most bytes of most strings need nothing: skip them a word at a time.
                i = Self.plainRun(b, from: i)
                guard i < b.count else { break }
                let c = b[i]
                var escape: String?
                switch c {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case 0x0A: escape = "\\n"
                case 0x0D: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0x08: escape = "\\b"
                case 0x0C: escape = "\\f"
                case 0x00..<0x20: escape = "\\u00" + (c < 0x10 ? "0" : "") + String(c, radix: 16)
                case 0xE2 where i + 2 < b.count && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9):
                    // U+2028 and U+2029 are valid JSON but end lines in JavaScript.
                    flush()
                    out += (b[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8
                    i += 3
                    run = i
                    continue
                default: break
                }
                if let escape {
                    flush()
                    out += escape.utf8
                    run = i + 1
                }
                i += 1
            }
            flush()
        }
        out.append(UInt8(ascii: "\""))
    }
}
