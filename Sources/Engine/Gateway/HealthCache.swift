import RouterCore
import Synchronization

/// Breakers and cooldowns as a long-running process (`llmr serve`) reads
/// them: once per moment rather than once per request, so that planning a
/// request does not wait on the state file. What this process learns is seen
/// at once (a failure, or any answer while something is open or cooling down,
/// drops the copy); what other processes write is seen within `maxAge`.
public final class HealthCache: Sendable {
    /// How long a copy serves, in seconds.
    public static let maxAge = 0.1

    private let held = Mutex<(at: Double, health: HealthSnapshot)?>(nil)

    public init() {}

    /// The copy if it is fresh at `now` (monotonic seconds), else what `read` gives, kept.
    func snapshot(now: Double, read: () throws(StateFailure) -> HealthSnapshot) -> HealthSnapshot? {
        if let copy = held.withLock({ $0 }), now - copy.at < Self.maxAge, now >= copy.at { return copy.health }
        guard let fresh = try? read() else { return nil }
        held.withLock { $0 = (now, fresh) }
        return fresh
    }

    /// Whether recording `result` may move breakers or cooldowns: a failure,
    /// or any answer while a breaker is not closed or a cooldown is live (or
    /// nothing is known yet).
    public func wouldChange(after result: RouteResult) -> Bool {
        if result.attempts.contains(where: { $0.outcome != .ok }) { return true }
        return held.withLock { copy in
            guard let c = copy else { return true }
            return !(c.health.cooldowns.isEmpty && c.health.breakers.values.allSatisfy { $0.state == .closed })
        }
    }

    /// After a request is recorded: the copy goes when the record may have moved what it holds.
    func recorded(_ result: RouteResult) {
        guard wouldChange(after: result) else { return }
        held.withLock { $0 = nil }
    }
}
