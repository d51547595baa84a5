import RouterCore
import Synchronization

/// A clock that moves only when told to, or when the router sleeps on it.
public final class ManualClock: RouterClock, @unchecked Sendable {
    private let time = Mutex<Double>(0)
    /// The wall-clock time at monotonic zero, for HTTP dates.
    public let epoch: Double
    /// Every deadline the router slept until.
    private let sleepsStore = Mutex<[Double]>([])

    public init(epoch: Double = 1_700_000_000) {
        self.epoch = epoch
        holdSleeps = false
    }

    public func now() -> Double { time.withLock { $0 } }
    public func wallTime() -> Double { epoch + now() }
    public func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
    public var sleeps: [Double] { sleepsStore.withLock { $0 } }

    /// Waits until `count` sleeps have begun on this clock (held ones wait for
    /// `advance`): an order of events, not a time. False after `limit` seconds.
    public func waitUntilSleeping(_ count: Int, limit: Double = 30) async -> Bool {
        await Waiting.until(limit) { self.sleeps.count >= count }
    }

    /// When set, a sleep lasts until the test advances the clock past its
    /// deadline (or the sleeper is cancelled) instead of jumping there at once.
    public let holdSleeps: Bool

    public init(epoch: Double = 1_700_000_000, holdSleeps: Bool) {
        self.epoch = epoch
        self.holdSleeps = holdSleeps
    }

    public func sleep(until deadline: Double) async throws {
        sleepsStore.withLock { $0.append(deadline) }
        guard holdSleeps else {
            time.withLock { $0 = max($0, deadline) }
            return
        }
        while now() < deadline { try await Task.sleep(nanoseconds: 1_000_000) }
    }
}
