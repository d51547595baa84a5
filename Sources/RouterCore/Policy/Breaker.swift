/// A provider's circuit-breaker state as it is stored between processes.
public struct BreakerRecord: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        case closed
        case open
    }

    public var provider: String
    public var state: State
    /// When the breaker last closed (or was reset): failures before it do not count.
    public var closedAt: Double
    /// Open: when the half-open probe may go.
    public var openUntil: Double
    /// The process that holds the half-open probe, and since when.
    public var probeOwner: String?
    public var probeStarted: Double?

    public init(provider: String, state: State = .closed, closedAt: Double = 0, openUntil: Double = 0,
                probeOwner: String? = nil, probeStarted: Double? = nil) {
        self.provider = provider
        self.state = state
        self.closedAt = closedAt
        self.openUntil = openUntil
        self.probeOwner = probeOwner
        self.probeStarted = probeStarted
    }
}

/// What the breaker says about sending to a provider now.
public enum BreakerView: Sendable, Equatable {
    case closed
    /// Open until then: send nothing.
    case open(until: Double)
    /// The open period is over and nobody is probing: the next request may probe.
    case probeAvailable
    /// Another request is probing; wait for its verdict.
    case probing(since: Double)
}

/// The circuit breaker, as pure rules over a stored record (times in seconds since the epoch).
///
/// - closed: `failures` failures within `window` (counted from the attempt log,
///   none from before the breaker last closed) open it for `openFor`;
/// - open: nothing is sent until `openUntil`;
/// - half-open: after that, exactly one request may probe (claimed atomically
///   by the store); a probe whose process vanished is given up after `probeTimeout`;
/// - the probe's success closes the breaker, its failure opens it again.
public struct Breaker: Sendable, Equatable {
    public var config: BreakerConfig
    /// How long a claimed probe may stay unanswered before another request may probe.
    public var probeTimeout: Double

    /// How long a claimed probe holds before another request may take it over.
    public static let defaultProbeTimeout = 120.0

    public init(config: BreakerConfig, probeTimeout: Double = Breaker.defaultProbeTimeout) {
        self.config = config
        self.probeTimeout = probeTimeout
    }

    /// What a failure says is broken: the provider as a whole (it cannot be
    /// reached), or one of its models (it was reached and answered badly).
    public enum Scope: Sendable, Equatable {
        case provider
        case model
    }

    /// The breaker an outcome counts against, if any: transport failures
    /// (refused, DNS, TLS, connect timeout) the provider's, HTTP errors and
    /// broken or slow answers the model's — one failing model on a gateway
    /// leaves its other models alone. Rate limits are left to the cooldown,
    /// refusals of our request to the user.
    public static func scope(of outcome: Outcome) -> Scope? {
        switch outcome {
        case .connect, .dns, .tls, .connectTimeout: return .provider
        case .http(let s): return s >= 500 ? .model : nil
        case .timeout, .firstTokenTimeout, .idleTimeout, .dropped, .truncated, .malformed, .streamError: return .model
        case .ok, .noKey, .unsupported, .hedgeLost, .interrupted, .empty, .overBudget, .cacheHit, .invalidOutput: return nil
        }
    }

    /// Outcomes that count against a breaker: trouble on the provider's side, not ours.
    public static func countsAsFailure(_ outcome: Outcome) -> Bool { scope(of: outcome) != nil }

    /// The key of a model's breaker and cooldown, beside its provider's (the provider's name).
    public static func modelKey(provider: String, modelID: String) -> String { "\(provider)/\(modelID)" }

    public func view(_ record: BreakerRecord?, now: Double) -> BreakerView {
        guard let r = record, r.state == .open else { return .closed }
        if now < r.openUntil { return .open(until: r.openUntil) }
        if let started = r.probeStarted, r.probeOwner != nil, now - started < probeTimeout { return .probing(since: started) }
        return .probeAvailable
    }

    /// The record after a request's attempts on this provider, given the failures
    /// the log now holds within the window (this request's included).
    public func after(_ record: BreakerRecord?, provider: String, succeeded: Bool, failedNow: Bool,
                      failuresInWindow: Int, owner: String, now: Double) -> BreakerRecord? {
        var r = record ?? BreakerRecord(provider: provider)
        let wasProbe = r.state == .open && r.probeOwner == owner
        if wasProbe {
            if succeeded {
                return BreakerRecord(provider: provider, state: .closed, closedAt: now)
            }
            r.openUntil = now + config.openFor
            r.probeOwner = nil
            r.probeStarted = nil
            return r
        }
        if r.state == .closed, failedNow, failuresInWindow >= config.failures {
            r.state = .open
            r.openUntil = now + config.openFor
            r.probeOwner = nil
            r.probeStarted = nil
            return r
        }
        return record
    }

    /// The earliest time a failure still counts in the window.
    public func windowStart(_ record: BreakerRecord?, now: Double) -> Double {
        max(now - config.window, record?.closedAt ?? 0)
    }
}
