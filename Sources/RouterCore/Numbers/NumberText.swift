#if canImport(Glibc)
import Glibc
#endif

/// Numbers as text for people: no `1e+06`, no `.0` on whole numbers, no trap on any value.
public enum NumberText {
    /// A whole number without a decimal point; other values as Swift prints them.
    public static func plain(_ x: Double) -> String {
        if x.isFinite, x == x.rounded(), abs(x) < 1e15 { return String(Int(saturating: x)) }
        return "\(x)"
    }

    /// An amount with exactly six decimals (`0.000301`); an absurd one as Swift prints it.
    public static func sixDecimals(_ x: Double) -> String {
        guard x.isFinite, abs(x) < 1e12 else { return "\(x)" }
        let scaled = Int(saturating: x * 1_000_000)
        let sign = scaled < 0 ? "-" : ""
        let magnitude = scaled.magnitude
        let frac = String(magnitude % 1_000_000)
        return "\(sign)\(magnitude / 1_000_000)." + String(repeating: "0", count: 6 - frac.count) + frac
    }

    /// `x` in plain decimal notation, never an exponent, rounded to
    /// `significant` significant digits, trailing zeros dropped:
    /// 3.22289156626506e-06 is `0.00000322289`, 5.300000000000001e-06 is `0.0000053`.
    public static func decimal(_ x: Double, significant: Int = 6) -> String {
        guard x.isFinite, x != 0 else { return x == 0 ? "0" : "\(x)" }
        let magnitude = abs(x)
        let decimals = max(0, significant - 1 - Int(floor(log10(magnitude))))
        let scaled = (magnitude * pow(10, Double(decimals))).rounded()
        guard decimals <= 30, scaled < 9e18 else { return plain(x) }
        var digits = String(UInt64(scaled))
        if decimals > 0 {
            if digits.count <= decimals { digits = String(repeating: "0", count: decimals - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
            while digits.hasSuffix("0") { digits.removeLast() }
            if digits.hasSuffix(".") { digits.removeLast() }
        }
        return (x < 0 ? "-" : "") + digits
    }
}
