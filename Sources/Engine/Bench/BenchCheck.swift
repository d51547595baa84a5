import RouterCore

/// A `--fail-if` check: `METRIC OP VALUE`, such as `p95(ttft)>800ms`,
/// `error_rate>1%` or `rps<10`. METRIC is `p50|p90|p95|p99|max|mean(FIELD)`
/// with FIELD one of ttft, e2e, service, tpot, itl, lateness, or one of
/// error_rate, rps, output_tps, goodput, cost_per_request, failover_rate.
/// VALUE takes ms, s, m or h for times, % for rates.
public struct BenchCheck: Sendable, Equatable {
    public enum Op: String, Sendable, CaseIterable {
        case ge = ">=", le = "<=", gt = ">", lt = "<", eq = "=="
    }

    public var metric: String
    public var op: Op
    /// In seconds for times, a fraction for rates, else as written.
    public var threshold: Double
    public var text: String

    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static func parse(_ text: String) throws(Problem) -> BenchCheck {
        let compact = text.filter { !$0.isWhitespace }
        // Two-character operators first, so that ">=" is not read as ">".
        for op in Op.allCases {
            guard let r = compact.firstRange(of: op.rawValue) else { continue }
            let metric = String(compact[..<r.lowerBound]).lowercased()
            let value = String(compact[r.upperBound...])
            try check(metric, in: text)
            guard let threshold = number(value) else {
                throw Problem(message: "--fail-if '\(text)': '\(value)' is not a number (such as 800ms, 2s, 1% or 0.5)")
            }
            return BenchCheck(metric: metric, op: op, threshold: threshold, text: text)
        }
        throw Problem(message: "--fail-if '\(text)' has no comparison; write it as METRIC>VALUE, such as 'p95(ttft)>800ms'")
    }

    private static func check(_ metric: String, in text: String) throws(Problem) {
        if let open = metric.firstIndex(of: "("), metric.hasSuffix(")") {
            let statistic = String(metric[..<open])
            let field = String(metric[metric.index(after: open)..<metric.index(before: metric.endIndex)])
            guard ["p50", "p90", "p95", "p99", "max", "mean"].contains(statistic) else {
                throw Problem(message: "--fail-if '\(text)': '\(statistic)' is not a statistic\(Suggest.hint(statistic, in: ["p50", "p90", "p95", "p99", "max", "mean"])); use p50, p90, p95, p99, max or mean")
            }
            guard BenchFigures.fields.contains(field) || field == "inter_chunk" else {
                throw Problem(message: "--fail-if '\(text)': '\(field)' is not a figure\(Suggest.hint(field, in: BenchFigures.fields)); use \(BenchFigures.fields.joined(separator: ", "))")
            }
            return
        }
        guard BenchFigures.scalars.contains(metric) else {
            let all = BenchFigures.scalars + BenchFigures.fields.map { "p95(\($0))" }
            throw Problem(message: "--fail-if '\(text)': unknown metric '\(metric)'\(Suggest.hint(metric, in: all)); use \(BenchFigures.scalars.joined(separator: ", ")) or pNN(\(BenchFigures.fields.joined(separator: "|")))")
        }
    }

    /// `800ms`, `2s`, `1m`, `1h`, `1%`, `0.5`.
    static func number(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("%", 0.01), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let v = Double(text.dropLast(suffix.count)), v.isFinite else { return nil }
            return v * scale
        }
        guard let v = Double(text), v.isFinite else { return nil }
        return v
    }

    /// Whether `figures` fail the check: true when the comparison holds (the
    /// condition to fail on is met) or when there is no value to compare.
    public func fails(_ figures: BenchFigures) -> (failed: Bool, value: Double?) {
        guard let v = figures.value(metric) else { return (true, nil) }
        switch op {
        case .gt: return (v > threshold, v)
        case .ge: return (v >= threshold, v)
        case .lt: return (v < threshold, v)
        case .le: return (v <= threshold, v)
        case .eq: return (v == threshold, v)
        }
    }
}
