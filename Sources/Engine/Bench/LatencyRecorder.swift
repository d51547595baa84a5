#if canImport(Glibc)
import Glibc
#endif

/// The values of one benchmark figure, kept in memory that does not grow
/// with the run: exactly while there are at most `exactLimit` of them, then
/// in logarithmic buckets 0.1% wide (percentiles within 0.05% of the exact
/// ones). Count, mean and max stay exact throughout.
public struct LatencyRecorder: Sendable, Equatable {
    /// Values kept exactly before the buckets take over.
    public static let exactLimit = 4096
    /// Each bucket spans a factor of this: 0.1% of its value.
    static let growth = 1.001
    static let logGrowth = 0.000_999_500_333_083_5 // ln(1.001)

    private var exact: [Double] = []
    /// Bucket index → count, once past `exactLimit`. Values at or below 0 are bucket `Int32.min`.
    private var buckets: [Int32: Int] = [:]
    private var bucketed = false
    public private(set) var count = 0
    private var sum = 0.0
    public private(set) var max: Double?

    public init() {}

    public mutating func add(_ value: Double) {
        guard value.isFinite else { return }
        count += 1
        sum += value
        max = Swift.max(max ?? value, value)
        if bucketed {
            buckets[Self.bucket(value), default: 0] += 1
            return
        }
        exact.append(value)
        if exact.count > Self.exactLimit {
            for v in exact { buckets[Self.bucket(v), default: 0] += 1 }
            exact = []
            bucketed = true
        }
    }

    static func bucket(_ v: Double) -> Int32 {
        guard v > 0 else { return .min }
        // Clamped: a value past 1e30 or below 1e-30 seconds is no latency anyone measured.
        return Int32(clamping: Int((log(Swift.min(Swift.max(v, 1e-30), 1e30)) / logGrowth).rounded(.down)))
    }

    static func value(ofBucket b: Int32) -> Double {
        b == .min ? 0 : exp((Double(b) + 0.5) * logGrowth)
    }

    /// Every value (or bucket, by its middle) with how many times it occurs, smallest first.
    public func counts() -> [(value: Double, count: Int)] {
        if !bucketed { return exact.sorted().map { ($0, 1) } }
        return buckets.keys.sorted().map { (Self.value(ofBucket: $0), buckets[$0] ?? 0) }
    }

    /// The nearest-rank percentiles `qs` (each 0 to 1), in their order.
    public func percentiles(_ qs: [Double]) -> [Double?] {
        guard count > 0 else { return qs.map { _ in nil } }
        let sorted = counts()
        return qs.map { q in
            let rank = Swift.min(count, Swift.max(1, Int(saturating: (q * Double(count)).rounded(.up))))
            var seen = 0
            for (value, n) in sorted {
                seen += n
                // A bucket's middle may lie past the largest value in it.
                if seen >= rank { return Swift.min(value, max ?? value) }
            }
            return max
        }
    }

    public var mean: Double? { count == 0 ? nil : sum / Double(count) }
}
