/// The ports through which the engine keeps state that outlives one request:
/// what every llmr process sharing a state directory (and, later, a fleet
/// sharing a server) must see. Each is a protocol so that the SQLite store,
/// an in-memory store for tests and a shared store can stand behind it.
///
/// The rules live in RouterCore (`Breaker`, `RetryAfter`, …); a store keeps
/// their state and makes each multi-step change atomic.

/// Why state could not be read or written.
public struct StateFailure: Error, Sendable, CustomStringConvertible {
    /// Where the state lives (a file path, a server address).
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Breakers and `Retry-After` cooldowns, read before a request and moved on after it.
public protocol HealthStore: ProbeClaimer {
    /// The breakers and live cooldowns of `providers` and of their models
    /// (keys `provider` and `provider/model-id`).
    func snapshot(providers: [String], now: Double) throws(StateFailure) -> HealthSnapshot
    /// Closes `provider`'s breaker: a health check found it answering.
    func closeBreaker(provider: String, now: Double) throws(StateFailure)
    /// Closes every breaker and clears every cooldown of `providers` and their models (all when empty).
    func reset(providers: [String]) throws(StateFailure)
}

/// Where every attempt is recorded; recording also moves the breakers and
/// cooldowns of what was tried, in the same atomic step.
public protocol AttemptSink {
    /// Records every attempt of one request (each with its own cost) and
    /// applies them to `breaker`'s state. With `content`, the prompt and answer are kept too.
    func record(_ result: RouteResult, requestID: String, at time: Double, breaker: Breaker?,
                content: (prompt: String, answer: String?)?) throws(StateFailure)
    /// Records a health check as an attempt of the provider as a whole.
    func recordCheck(_ record: AttemptRecord, at time: Double, breaker: Breaker) throws(StateFailure)
}

/// What the attempt log says about the recent past.
public protocol AttemptHistory {
    /// The 95th-percentile time to first token (seconds) of each provider's
    /// recent answers; providers with too few are left out.
    func firstTokenP95(providers: [String]) throws(StateFailure) -> [String: Double]
    /// The median time to first token (else latency) in milliseconds of the last
    /// 50 answers of each `provider/model-id`, for `strategy: fastest`; absent when none.
    func medianFirstToken(of labels: [String]) throws(StateFailure) -> [String: Double]
    /// The share of requests since `since` (on `route`) that hedged.
    func hedgeShare(route: String?, since: Double) throws(StateFailure) -> Double
    /// The median latency (ms) of each provider's recent answers.
    func latencyP50(providers: [String]) throws(StateFailure) -> [String: Int]
    /// Figures per provider and model for attempts in `[from, to)`.
    func stats(from: Double, to: Double, route: String?, bench: Bool) throws(StateFailure) -> [StatsFigures]
    /// Deletes attempts older than `before`; returns how many.
    func prune(before: Double) throws(StateFailure) -> Int
}

/// A saved conversation, as `chat --list` shows it.
public struct SessionSummary: Sendable, Equatable {
    public var name: String
    public var turns: Int
    /// Seconds since the epoch of its last turn.
    public var lastUsed: Double
    public var costUSD: Double

    public init(name: String, turns: Int, lastUsed: Double, costUSD: Double) {
        self.name = name
        self.turns = turns
        self.lastUsed = lastUsed
        self.costUSD = costUSD
    }
}

/// One saved turn, with who answered and what it cost.
public struct SavedTurn: Sendable, Equatable {
    public var turn: Int
    public var at: Double
    public var user: String
    public var assistant: String
    public var provider: String?
    public var model: String?
    public var costUSD: Double?

    public init(turn: Int, at: Double, user: String, assistant: String, provider: String?, model: String?, costUSD: Double?) {
        self.turn = turn
        self.at = at
        self.user = user
        self.assistant = assistant
        self.provider = provider
        self.model = model
        self.costUSD = costUSD
    }
}

/// Chat sessions: a session is saved with its first answered turn, and each
/// turn atomically with the attempts that made it.
public protocol SessionStore {
    /// Records `result`'s attempts and, when it answered, the turn as the next
    /// of session `name` (created if new); returns the turn's number.
    @discardableResult
    func recordTurn(session name: String, system: String?, user: String, result: RouteResult, requestID: String,
                    at time: Double, breaker: Breaker?) throws(StateFailure) -> Int?
    /// A session's system prompt and turns, oldest first, and what the answers
    /// taken back by `/retry` cost; nil when there is no such session.
    func session(_ name: String) throws(StateFailure) -> (system: String?, turns: [SavedTurn], takenBackUSD: Double)?
    /// Takes one saved turn out of the conversation (a `/retry` replaces it);
    /// its attempts stay recorded and its cost stays counted in the session's.
    func deleteTurn(session name: String, turn: Int) throws(StateFailure)
    /// Claims a new session's name, atomically across processes: false when
    /// it is taken (saved, or claimed by another process that has not saved yet).
    func claimSession(_ name: String, at time: Double) throws(StateFailure) -> Bool
    /// Every session with at least one turn, the most recently used first.
    func sessions() throws(StateFailure) -> [SessionSummary]
    /// Renames a session; false when there is none by `old`. Throws when `new` is taken.
    func renameSession(_ old: String, to new: String) throws(StateFailure) -> Bool
}

/// Everything the engine keeps between requests, behind one value.
public protocol StateBackend: HealthStore, AttemptSink, AttemptHistory, SessionStore, GovernanceLedger, ResponseCache, Sendable {
    /// Who this process is, for the half-open probes it claims.
    var owner: String { get }
}

extension StateBackend {
    /// A health check recorded as an attempt (route `(check)`) and applied to
    /// the provider's breaker, as every store does it: a failure counts like any
    /// other, and when the check holds the half-open probe, its success closes the breaker.
    public func recordCheck(_ record: AttemptRecord, at time: Double, breaker: Breaker) throws(StateFailure) {
        try self.record(RouteResult(route: RecordedRoute.check, attempts: [record]), requestID: "check-\(owner)", at: time,
                        breaker: breaker, content: nil)
    }
}

/// The model name health checks are recorded under, and the routes of
/// attempts that are not user requests.
public enum RecordedRoute {
    /// The model (and model id) a health check is recorded under.
    public static let checkModel = "(check)"
    /// The route of health checks.
    public static let check = "(check)"
    /// The route benchmark requests are recorded under.
    public static let bench = "(bench)"
}
