#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Time as the router sees it; tests pass a manual clock.
public protocol RouterClock: Sendable {
    /// Monotonic seconds, for durations and deadlines.
    func now() -> Double
    /// Seconds since the Unix epoch, for HTTP dates.
    func wallTime() -> Double
    /// Suspends until `now() >= deadline`.
    func sleep(until deadline: Double) async throws
}

/// The real clocks of the machine.
public struct SystemClock: RouterClock {
    public init() {}

    public func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public func wallTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public func sleep(until deadline: Double) async throws {
        let delay = deadline - now()
        if delay > 0 { try await Task.sleep(nanoseconds: UInt64(nanoseconds: delay)) }
    }
}
