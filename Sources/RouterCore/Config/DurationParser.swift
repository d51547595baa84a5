/// Parses the duration syntax of the config: `500ms`, `30s`, `2m`, `24h`, `30d`, or a bare number of seconds.
public enum DurationParser {
    /// Seconds, or nil when the text is not a duration.
    public static func seconds(_ text: String) -> Double? {
        let t = text.trimmingWhitespace()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            let number = t.dropLast(suffix.count).trimmingWhitespace()
            guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
            return value * scale
        }
        guard let value = Double(t), value.isFinite, value >= 0 else { return nil }
        return value
    }

    /// Renders seconds the way a user would write them in the config.
    public static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds == seconds.rounded() || seconds >= 10 { return "\(Int(seconds.rounded()))s" }
        return "\(Double(Int(seconds * 10)) / 10)s"
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines.
    public func trimmingWhitespace() -> String {
        // Character.isWhitespace also covers "\r\n", which Swift holds as one Character.
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        guard let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
