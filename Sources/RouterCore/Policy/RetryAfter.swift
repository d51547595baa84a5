/// Reads an HTTP `Retry-After` value: delay-seconds, or an HTTP date.
public enum RetryAfter {
    /// The longest wait a server's header is taken for: two days. It is longer
    /// than any `max_retry_wait` may be (one day), so a larger value means
    /// "move on", and a cooldown it starts ends in two days at most.
    public static let limit = 2 * ConfigLimits.day

    /// Seconds to wait from `now` (seconds since the Unix epoch), at most `limit`;
    /// nil when unreadable. A date in the past means no wait (0).
    public static func seconds(_ value: String, now: Double) -> Double? {
        let v = value.trimmingWhitespace()
        if let s = Double(v), !s.isNaN, s >= 0 { return min(s, limit) }
        guard let date = httpDate(v) else { return nil }
        return min(max(0, date - now), limit)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Parses the three date forms HTTP allows into seconds since the epoch:
    /// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` and `Sun Nov  6 08:49:37 1994`.
    public static func httpDate(_ text: String) -> Double? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        var day: Int?, month: Int?, year: Int?, clock: [Int]?
        for word in words {
            if word.contains(":") {
                let parts = word.split(separator: ":").compactMap { Int($0) }
                guard parts.count == 3 else { return nil }
                clock = parts
            } else if word.contains("-") {
                let parts = word.split(separator: "-").map(String.init)
                guard parts.count == 3, let d = Int(parts[0]), let y = Int(parts[2]),
                      let m = months.firstIndex(of: parts[1].lowercased()) else { return nil }
                day = d
                month = m + 1
                year = y < 100 ? (y < 70 ? 2000 + y : 1900 + y) : y
            } else if let m = months.firstIndex(of: word.prefix(3).lowercased()), word.count == 3 {
                month = m + 1
            } else if let n = Int(word) {
                if n > 31 { year = n } else { day = n }
            }
        }
        guard let d = day, let m = month, let y = year, let c = clock,
              (1...9999).contains(y), (1...31).contains(d), (0...23).contains(c[0]), (0...59).contains(c[1]), (0...60).contains(c[2])
        else { return nil }
        return Double(daysFromCivil(y, m, d) * 86400 + c[0] * 3600 + c[1] * 60 + c[2])
    }

    /// An RFC 3339 time (`2026-12-03T11:00:00Z`, `…T11:00:00.25+01:00`) in seconds since the epoch.
    public static func rfc3339(_ text: String) -> Double? {
        let t = Array(text.trimmingWhitespace().utf8)
        func int(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= t.count, r.allSatisfy({ (48...57).contains(t[$0]) }) else { return nil }
            return r.reduce(0) { $0 * 10 + Int(t[$1] - 48) }
        }
        guard t.count >= 20, t[4] == UInt8(ascii: "-"), t[7] == UInt8(ascii: "-"), t[10] == UInt8(ascii: "T") || t[10] == UInt8(ascii: "t"),
              t[13] == UInt8(ascii: ":"), t[16] == UInt8(ascii: ":"),
              let y = int(0..<4), let mo = int(5..<7), let d = int(8..<10), let h = int(11..<13), let mi = int(14..<16), let s = int(17..<19),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s <= 60 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < t.count, t[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < t.count, (48...57).contains(t[i]) {
                fraction += Double(t[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i < t.count else { return nil }
        var offset = 0
        if t[i] == UInt8(ascii: "Z") || t[i] == UInt8(ascii: "z") {
            i += 1
        } else if t[i] == UInt8(ascii: "+") || t[i] == UInt8(ascii: "-"), i + 6 == t.count, t[i + 3] == UInt8(ascii: ":"),
                  let oh = int((i + 1)..<(i + 3)), let om = int((i + 4)..<(i + 6)) {
            offset = (oh * 3600 + om * 60) * (t[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == t.count else { return nil }
        return Double(daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset) + fraction
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
