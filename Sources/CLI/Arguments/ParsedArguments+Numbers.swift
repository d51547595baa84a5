import Engine
import RouterCore

/// Numbers from flags, each checked against its range: a value outside it is a
/// usage error (exit 64) that names the range, never a number that traps later.
extension ParsedArguments {
    /// The longest age `--since` and `--older-than` take: a hundred years.
    static let ageLimit = 36_500 * 86_400.0

    /// `--NAME N`, a whole number within `range`; nil when the flag is absent.
    func int(_ name: String, _ range: ClosedRange<Int>) throws(UsageError) -> Int? {
        guard let v = value(name) else { return nil }
        guard let n = Int(v.trimmingWhitespace()), range.contains(n) else {
            throw UsageError("--\(name) needs a whole number from \(range.lowerBound) to \(range.upperBound), not '\(v)'")
        }
        return n
    }

    /// `--NAME X`, a finite number within `range`; nil when the flag is absent.
    func number(_ name: String, _ range: ClosedRange<Double>, example: String) throws(UsageError) -> Double? {
        guard let v = value(name) else { return nil }
        guard let x = Double(v.trimmingWhitespace()), x.isFinite, range.contains(x) else {
            throw UsageError("--\(name) needs \(example) from \(NumberText.plain(range.lowerBound)) to \(NumberText.plain(range.upperBound)), not '\(v)'")
        }
        return x
    }

    /// `--NAME D` (`500ms`, `30s`, `2m`), above zero and at most a day; nil when absent.
    func duration(_ name: String) throws(UsageError) -> Double? {
        guard let v = value(name) else { return nil }
        guard let s = DurationParser.seconds(v), s > 0, s <= ConfigLimits.day else {
            throw UsageError("--\(name) needs a duration such as 500ms, 30s or 2m, above 0 and at most 1d, not '\(v)'")
        }
        return s
    }

    /// `--NAME AGE` (`24h`, `30d`), above zero and at most a hundred years; nil when absent.
    func age(_ name: String) throws(UsageError) -> Double? {
        guard let v = value(name) else { return nil }
        guard let s = DurationParser.seconds(v), s > 0, s <= Self.ageLimit else {
            throw UsageError("--\(name) needs an age such as 24h or 7d, above 0 and at most 36500d, not '\(v)'")
        }
        return s
    }
}
