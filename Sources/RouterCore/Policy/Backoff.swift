/// Exponential backoff with equal jitter: half the delay is fixed, half is random.
///
/// With the standard settings (base 250 ms, factor 2, cap 8 s):
///
/// | retry | nominal | drawn from  |
/// |-------|---------|-------------|
/// | 1     | 250 ms  | 125–250 ms  |
/// | 2     | 500 ms  | 250–500 ms  |
/// | 3     | 1 s     | 0.5–1 s     |
/// | 4     | 2 s     | 1–2 s       |
/// | 5     | 4 s     | 2–4 s       |
/// | 6+    | 8 s     | 4–8 s       |
///
/// The fixed half keeps a retry from landing at once on a server that just
/// failed; the random half spreads the retries of many clients apart.
public struct Backoff: Sendable, Equatable {
    public var base: Double
    public var factor: Double
    public var cap: Double

    public static let standard = Backoff(base: 0.25, factor: 2, cap: 8)

    public init(base: Double, factor: Double, cap: Double) {
        self.base = base
        self.factor = factor
        self.cap = cap
    }

    /// The nominal (largest) delay before retry number `retry` (1-based).
    public func nominal(retry: Int) -> Double {
        var d = base
        var n = 1
        while n < retry, d < cap {
            d *= factor
            n += 1
        }
        return min(d, cap)
    }

    /// The delay before retry number `retry`, drawn with equal jitter.
    public func delay<G: RandomNumberGenerator>(retry: Int, using rng: inout G) -> Double {
        let d = nominal(retry: retry)
        return d / 2 + Double.random(in: 0...1, using: &rng) * d / 2
    }
}
