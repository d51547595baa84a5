/// One attempt of a request, as `--verbose` prints it and `--json` lists it.
public struct AttemptRecord: Sendable, Equatable {
    public var provider: String
    /// The catalog name (or `provider/model-id` for an inline target).
    public var model: String
    public var modelID: String
    public var tier: Tier
    public var outcome: Outcome
    public var status: Int?
    public var latencyMs: Int
    public var ttftMs: Int?
    public var retryAfterS: Double?
    /// Seconds the provider's rate-limit headers (remaining 0) ask the model to be held back.
    public var holdS: Double?
    /// What went wrong, in the provider's words where it gave any.
    public var message: String?
    /// How the provider's error classified, when it sent one.
    public var errorKind: ProviderError.Kind?
    public var usage: Usage?
    /// Why the provider stopped, when it said.
    public var finish: Finish?
    /// What the attempt cost, from its usage and the catalog's prices.
    public var costUSD: Double?
    /// The attempt ran in a hedged race.
    public var hedged = false
    /// Bytes of answer text the user had already seen when this attempt failed.
    public var deliveredBytes: Int

    public init(provider: String, model: String, modelID: String, tier: Tier, outcome: Outcome, status: Int? = nil,
                latencyMs: Int = 0, ttftMs: Int? = nil, retryAfterS: Double? = nil, message: String? = nil,
                usage: Usage? = nil, deliveredBytes: Int = 0) {
        self.provider = provider
        self.model = model
        self.modelID = modelID
        self.tier = tier
        self.outcome = outcome
        self.status = status
        self.latencyMs = latencyMs
        self.ttftMs = ttftMs
        self.retryAfterS = retryAfterS
        self.message = message
        self.usage = usage
        self.deliveredBytes = deliveredBytes
    }
}

/// A candidate that was not tried, and why.
public struct SkippedCandidate: Sendable, Equatable {
    public var provider: String
    public var model: String
    public var modelID: String
    public var availability: Availability

    public var reason: String { availability.reason }
}

/// Why a request produced no complete answer; the CLI maps each kind to an exit code.
public struct RouteFailure: Error, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// Every candidate failed or was unavailable (exit 69).
        case exhausted
        /// Every candidate was rate-limited or asked to wait (exit 75).
        case temporary
        /// Every candidate refused our credentials or had no key (exit 77).
        case credentials
        /// The user interrupted the request (exit 130).
        case interrupted
        /// Every candidate would go over `--max-cost` (exit 75).
        case budget
        /// The prompt fits no candidate's context window (exit 65).
        case tooLarge
        /// Every candidate's last answer failed `--schema`.
        case invalidOutput = "invalid_output"
    }

    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }
}

/// The end of a routed request: a complete answer, or the failure, with every attempt.
public struct RouteResult: Sendable, Equatable {
    public var route: String?
    /// The answer in pieces of up to 64 KiB (see `TextBuffer`).
    public var pieces: [String]?
    /// The answer, joined.
    public var text: String? { pieces.map { $0.count == 1 ? $0[0] : $0.joined() } }
    public var provider: String?
    public var model: String?
    public var modelID: String?
    /// The usage of every attempt together (each was billed), estimated where a provider reported none.
    public var usage: Usage?
    /// What every attempt of the request cost together.
    public var costUSD: Double?
    /// Why the answering attempt's provider stopped.
    public var finish: Finish?
    public var latencyMs: Int
    public var ttftMs: Int?
    /// The answer came from another target than the first one tried.
    public var fallback: Bool
    public var attempts: [AttemptRecord]
    /// Candidates the breaker or a cooldown kept from being tried.
    public var skipped: [SkippedCandidate] = []
    public var failure: RouteFailure?
    /// The user saw text that is not part of the final answer: the answer was
    /// started again after a break, or (on failure) it is incomplete.
    public var brokenOff: Bool
    /// The answer was finished by another attempt from where a broken one stopped.
    public var continued: Bool
    /// The answer came from the response cache, kept then (seconds since the epoch): nothing was sent.
    public var cachedAt: Double? = nil
    /// The answer parsed, when the request had a schema and it validated.
    public var output: JSONValue? = nil
    /// The last answer that did not validate against the schema, when the request failed.
    public var invalidText: String? = nil
}

extension RouteResult {
    /// A cache hit: the kept answer, no attempt, nothing spent.
    public init(route: String?, cached a: CachedAnswer) {
        self.init(route: route, pieces: [a.text], provider: a.provider, model: a.model, modelID: a.modelID, usage: a.usage, costUSD: 0,
                  finish: Finish(.stop, raw: "stop"), latencyMs: 0, ttftMs: nil, fallback: false, attempts: [], failure: nil,
                  brokenOff: false, continued: false, cachedAt: a.storedAt)
    }

    /// A result that is only its attempts (a health check, say).
    public init(route: String?, attempts: [AttemptRecord]) {
        self.init(route: route, pieces: nil, provider: nil, model: nil, modelID: nil, usage: nil, costUSD: nil,
                  latencyMs: attempts.reduce(0) { $0 + $1.latencyMs }, ttftMs: nil, fallback: false, attempts: attempts,
                  failure: nil, brokenOff: false, continued: false)
    }
}

/// What the router reports while it works, for live output and `--verbose`.
public enum RouterEvent: Sendable, Equatable {
    case attemptStarted(candidate: Candidate, attempt: Int)
    /// Answer text, in live mode, as it arrives.
    case delta(String)
    case attemptFinished(AttemptRecord, verdict: FallbackWalk.Verdict)
    case waiting(seconds: Double, candidate: Candidate)
    /// A candidate at its rate limit is held until a slot frees (a wait follows when nothing else is ready).
    case held(candidate: Candidate, why: String)
    /// A candidate not tried: its breaker is open or it is cooling down.
    case skipped(SkippedCandidate)
    /// The first token of an attempt's answer arrived.
    case firstToken
    /// No first token from `slow` after `after` seconds: `backup` starts too.
    case hedging(slow: Candidate, backup: Candidate, after: Double)
    /// Text already shown broke off; the next attempt, on `on`, either continues
    /// it (a prefill) or starts the answer again.
    case resuming(failed: AttemptRecord, shownBytes: Int, continuing: Bool, on: Candidate)
}
