import RouterCore

/// When an open-loop benchmark sends each request: fixed in advance from
/// the seed, so two runs with the same seed send on the same schedule, and a
/// slow server cannot push later sends back (no coordinated omission).
public enum BenchArrival: String, Sendable, CaseIterable {
    /// Exactly 1/rate apart.
    case constant
    /// Exponentially distributed gaps with mean 1/rate (a Poisson process).
    case poisson
}

public enum BenchSchedule {
    /// The intended start of each of `count` requests, in seconds from the start.
    public static func starts<G: RandomNumberGenerator>(count: Int, rate: Double, arrival: BenchArrival, using rng: inout G) -> [Double] {
        guard count > 0, rate > 0, rate.isFinite else { return [] }
        var t = 0.0
        var out: [Double] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            if i > 0 {
                switch arrival {
                case .constant: t += 1 / rate
                case .poisson:
                    // Inverse transform: -ln(U)/rate, with U in (0, 1].
                    let u = 1 - Double.random(in: 0..<1, using: &rng)
                    t += -log(u) / rate
                }
            }
            out.append(t)
        }
        return out
    }

    /// The starts that fall within `duration` seconds at `rate`, for `--duration` runs.
    public static func starts<G: RandomNumberGenerator>(duration: Double, rate: Double, arrival: BenchArrival, limit: Int = 10_000_000,
                                                        using rng: inout G) -> [Double] {
        guard rate > 0, rate.isFinite, duration > 0 else { return [] }
        let expected = Int(saturating: (duration * rate * 1.5).rounded(.up)) + 16
        return starts(count: min(limit, expected), rate: rate, arrival: arrival, using: &rng).filter { $0 < duration }
    }
}

#if canImport(Glibc)
import Glibc
#endif
