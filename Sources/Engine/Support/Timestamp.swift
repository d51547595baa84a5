#if canImport(Glibc)
import Glibc
#endif

/// Times as text, without Foundation.
public enum Timestamp {
    /// `2026-11-25T03:12:00Z`.
    public static func iso(_ epoch: Double) -> String {
        let t = parts(epoch)
        return "\(t.0)-\(two(t.1))-\(two(t.2))T\(two(t.3)):\(two(t.4)):\(two(t.5))Z"
    }

    /// `2026-11-25T03:12:00.123Z`, for log lines.
    public static func isoMillis(_ epoch: Double) -> String {
        guard epoch.isFinite else { return iso(0) }
        let whole = epoch.rounded(.down)
        let ms = min(999, max(0, Int(((epoch - whole) * 1000).rounded(.down))))
        let base = iso(whole)
        let digits = String(ms)
        return base.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// `20261125-031200`, for names.
    public static func compact(_ epoch: Double) -> String {
        let t = parts(epoch)
        return "\(t.0)\(two(t.1))\(two(t.2))-\(two(t.3))\(two(t.4))\(two(t.5))"
    }

    private static func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func parts(_ epoch: Double) -> (Int32, Int32, Int32, Int32, Int32, Int32) {
        var t = time_t(Int(saturating: epoch))
        var tm = tm()
        gmtime_r(&t, &tm)
        return (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
    }
}
