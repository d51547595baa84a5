/// `multipleOf` on the decimal a number was written as, not on its binary
/// double: 0.3 is a multiple of 0.1, 19.99 of 0.01.
enum ExactDecimal {
    /// `x` as digits times a power of ten, from the shortest text that reads
    /// back as the same double (what the answer or schema almost always said).
    static func parts(_ x: Double) -> (digits: UInt64, exponent: Int)? {
        guard x.isFinite else { return nil }
        var text = "\(x.magnitude)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let power = Int(text[text.index(after: e)...]) else { return nil }
            exponent = power
            text = String(text[..<e])
        }
        if let dot = text.firstIndex(of: ".") {
            exponent -= text.distance(from: dot, to: text.endIndex) - 1
            text.remove(at: dot)
        }
        guard var digits = UInt64(text) else { return nil }
        while digits != 0, digits % 10 == 0 {
            digits /= 10
            exponent += 1
        }
        return (digits, exponent)
    }

    /// Whether `x` is a whole multiple of `divisor` (> 0).
    static func isMultiple(_ x: Double, of divisor: Double) -> Bool {
        guard x != 0 else { return true }
        guard let (a, ea) = parts(x), let (b, eb) = parts(divisor), b != 0 else {
            let q = x / divisor
            return q.isFinite && q == q.rounded()
        }
        // x = a·10^ea, divisor = b·10^eb. With e = min(ea, eb) both are whole
        // multiples of 10^e: compare a·10^(ea−e) with b·10^(eb−e).
        if eb > ea {
            // b·10^(eb−ea) must divide a: past 19 digits it is larger than a.
            guard eb - ea <= 19 else { return false }
            let (scaled, overflow) = b.multipliedReportingOverflow(by: power(eb - ea))
            return !overflow && a % scaled == 0
        }
        // a·10^(ea−eb) mod b, one factor of ten at a time.
        var r = a % b
        for _ in 0..<(ea - eb) {
            let (high, low) = r.multipliedFullWidth(by: 10)
            r = b.dividingFullWidth((high, low)).remainder
            if r == 0 { return true }
        }
        return r == 0
    }

    static func power(_ n: Int) -> UInt64 {
        var p: UInt64 = 1
        for _ in 0..<n { p = p &* 10 }
        return p
    }
}
