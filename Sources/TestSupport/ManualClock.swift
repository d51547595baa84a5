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
    }

    public func now() -> Double { time.withLock { $0 } }
    public func wallTime() -> Double { epoch + now() }
    public func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
    public var sleeps: [Double] { sleepsStore.withLock { $0 } }

    public func sleep(until deadline: Double) async throws {
        sleepsStore.withLock { $0.append(deadline) }
        time.withLock { $0 = max($0, deadline) }
    }
}
