/// The walk through a plan's candidates for one request: which to try next,
/// when to wait, when to give up. A pure state machine: the router does the I/O.
///
/// Rules:
/// - Candidates are tried in plan order; the first one that can be tried *now*
///   goes next, so a fresh candidate is preferred over sleeping on a failed one.
/// - Retries never use up `maxAttempts` while a candidate is still untried:
///   as many attempts as there are untried candidates are held back for
///   them, so primaries that fail slowly cannot starve the fallback.
/// - A retryable failure (429, 5xx, 529, timeouts, dropped or broken streams)
///   schedules a retry of the same candidate after the backoff delay, or after
///   `Retry-After` when that is longer, up to `retries` extra attempts.
/// - A retry that would wait longer than `maxRetryWait` gives the candidate up.
/// - Anything else (refused connection, 400/401/403/404/422, missing key)
///   gives the candidate up at once.
/// - Only when no candidate can be tried now does the walk say to wait.
/// - No more than `maxAttempts` attempts in all.
public struct FallbackWalk: Sendable, Equatable {
    /// What the router should do next.
    public enum Step: Sendable, Equatable {
        case attempt(Int)
        case wait(until: Double, candidate: Int)
        case finished
    }

    /// What became of a candidate after a failed attempt.
    public enum Verdict: Sendable, Equatable {
        case retryAt(Double)
        case givenUp(String)
        case succeeded
    }

    enum Slot: Sendable, Equatable {
        case fresh
        case retryAt(Double)
        case spent
    }

    public let retries: Int
    public let maxAttempts: Int
    public let maxRetryWait: Double
    public let backoff: Backoff
    private(set) var slots: [Slot]
    public private(set) var attemptsPerCandidate: [Int]
    public private(set) var totalAttempts = 0

    public init(candidates: Int, retries: Int, maxAttempts: Int, maxRetryWait: Double, backoff: Backoff = .standard) {
        self.retries = retries
        self.maxAttempts = maxAttempts
        self.maxRetryWait = maxRetryWait
        self.backoff = backoff
        slots = Array(repeating: .fresh, count: candidates)
        attemptsPerCandidate = Array(repeating: 0, count: candidates)
    }

    /// The next step at time `now`.
    public func next(now: Double) -> Step {
        guard totalAttempts < maxAttempts else { return .finished }
        let untried = slots.filter { $0 == .fresh }.count
        let mayRetry = totalAttempts + untried < maxAttempts
        var earliest: (Double, Int)?
        for (i, slot) in slots.enumerated() {
            switch slot {
            case .fresh:
                return .attempt(i)
            case .retryAt(let t):
                guard mayRetry else { continue }
                if t <= now { return .attempt(i) }
                if t < (earliest?.0 ?? .infinity) { earliest = (t, i) }
            case .spent:
                continue
            }
        }
        if let (t, i) = earliest { return .wait(until: t, candidate: i) }
        return .finished
    }

    /// Whether a candidate has not been tried yet (a hedge may start it early).
    public func isFresh(_ candidate: Int) -> Bool {
        slots.indices.contains(candidate) && slots[candidate] == .fresh
    }

    /// A candidate that cannot be tried at all (no key, unsupported API) is given up without an attempt.
    public mutating func skip(_ candidate: Int) {
        slots[candidate] = .spent
    }

    /// A candidate at its rate limit until `until` (monotonic seconds): held
    /// back until then without an attempt counted, when that is within
    /// `maxRetryWait`; else given up. True when it is held.
    @discardableResult
    public mutating func hold(_ candidate: Int, until: Double, now: Double) -> Bool {
        guard until - now <= maxRetryWait else {
            slots[candidate] = .spent
            return false
        }
        slots[candidate] = .retryAt(until)
        return true
    }

    /// Records how an attempt on `candidate` ended, at time `now`, and says what follows for it.
    @discardableResult
    public mutating func record<G: RandomNumberGenerator>(
        candidate i: Int, outcome: Outcome, retryAfter: Double?, now: Double, using rng: inout G
    ) -> Verdict {
        attemptsPerCandidate[i] += 1
        totalAttempts += 1
        if outcome == .ok {
            slots[i] = .spent
            return .succeeded
        }
        guard outcome.isRetryable else {
            slots[i] = .spent
            return .givenUp("not retried: \(outcome)")
        }
        guard attemptsPerCandidate[i] <= retries else {
            slots[i] = .spent
            return .givenUp("retries spent (\(retries))")
        }
        // An answer that failed the schema was no overload: it is asked again at once.
        var delay = outcome == .invalidOutput ? 0 : backoff.delay(retry: attemptsPerCandidate[i], using: &rng)
        if let retryAfter { delay = max(delay, retryAfter) }
        guard delay <= maxRetryWait else {
            slots[i] = .spent
            return .givenUp("asks to wait \(DurationParser.format(delay)), more than max_retry_wait \(DurationParser.format(maxRetryWait))")
        }
        slots[i] = .retryAt(now + delay)
        return .retryAt(now + delay)
    }
}
