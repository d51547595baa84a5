/// What the state database knew about providers when a request was planned:
/// breaker records and `Retry-After` cooldowns (seconds since the epoch).
public struct HealthSnapshot: Sendable, Equatable {
    public var breakers: [String: BreakerRecord]
    public var cooldowns: [String: Double]

    public init(breakers: [String: BreakerRecord] = [:], cooldowns: [String: Double] = [:]) {
        self.breakers = breakers
        self.cooldowns = cooldowns
    }
}

/// Whether a candidate may be sent to now, and why not.
public enum Availability: Sendable, Equatable {
    case available
    /// Its breaker is half-open and this request may send the one probe.
    case probe
    /// Its breaker is open, or another request is probing it.
    case breakerOpen(String)
    /// It asked us (Retry-After) to wait until then.
    case coolingDown(until: Double)
    /// Its key is missing; the text names the variable or command.
    case noKey(String)
    /// The prompt plus `--max-tokens` does not fit its context window.
    case contextTooSmall(needed: Int, window: Int)
    /// Its worst case would take the request past `--max-cost`.
    case overBudget(worstCase: Double, left: Double)
    /// The request ended (an answer, or `max_attempts`) before its turn came.
    case notTried(String)
    /// Its worst case would take a shared budget past its limit.
    case overSharedBudget(BudgetUsage)
    /// A budget counts it but the catalog has no price for it: never sent unaccounted.
    case unpricedUnderBudget(String)
    /// A budget counts it and the ledger cannot be read: not sent.
    case budgetLedgerUnreadable(String)
    /// One of its rate windows (`limits:`) is full until then (seconds since the epoch).
    case rateLimited(until: Double, why: String)

    /// Whether a budget (`--max-cost` or a shared one) kept the candidate back.
    public var isBudget: Bool {
        switch self {
        case .overBudget, .overSharedBudget, .unpricedUnderBudget, .budgetLedgerUnreadable: return true
        default: return false
        }
    }

    public var isSendable: Bool {
        switch self {
        case .available, .probe: return true
        default: return false
        }
    }

    /// Why a candidate is not sendable, as the user reads it.
    public var reason: String {
        switch self {
        case .available: return "available"
        case .probe: return "half-open: this request sends the probe"
        case .breakerOpen(let why): return why
        case .coolingDown: return "cooling down after Retry-After"
        case .noKey(let why): return why
        case .contextTooSmall(let needed, let window):
            return "context window \(window) tokens is too small for about \(needed)"
        case .overBudget(let worst, let left):
            return "worst case \(Self.usd(worst)) is over the \(Self.usd(left)) left of --max-cost"
        case .notTried(let why): return "not tried: \(why)"
        case .overSharedBudget(let u): return BudgetText.over(u)
        case .unpricedUnderBudget(let name):
            return "budget '\(name)' counts this model and the catalog has no price for it, so it is never sent unaccounted"
        case .budgetLedgerUnreadable(let why): return "the budgets' ledger cannot be read (\(why)), so a budgeted candidate is not sent"
        case .rateLimited(let until, let why):
            return until.isFinite ? "\(why); a slot frees at \(Self.clock(until))" : why
        }
    }

    /// `11:04:05 UTC`.
    static func clock(_ t: Double) -> String {
        let s = Int(saturating: t.rounded(.up)) % 86400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(s / 3600)):\(two(s % 3600 / 60)):\(two(s % 60)) UTC"
    }

    static func usd(_ x: Double) -> String {
        let cents = (x * 1_000_000).rounded() / 1_000_000
        return "$\(cents)"
    }
}

/// Claims the half-open probe of a provider for this process, atomically
/// across every process on the machine; false when another got it first.
public protocol ProbeClaimer: Sendable {
    func claimProbe(provider: String, now: Double) -> Bool
}

extension Breaker {
    /// A model's availability from a snapshot, before any probe is claimed:
    /// the cooldowns and breakers of its provider and of the model itself.
    public func availability(provider: String, modelID: String, in health: HealthSnapshot, now: Double) -> Availability {
        let keys = [(provider, "provider"), (Self.modelKey(provider: provider, modelID: modelID), "model")]
        for (key, _) in keys {
            if let until = health.cooldowns[key], until > now { return .coolingDown(until: until) }
        }
        var probe = false
        for (key, scope) in keys {
            switch view(health.breakers[key], now: now) {
            case .closed: break
            case .probeAvailable: probe = true
            case .open(let until): return .breakerOpen("\(scope) breaker open for \(DurationParser.format(until - now)) more")
            case .probing: return .breakerOpen("\(scope) breaker half-open; another request is probing")
            }
        }
        return probe ? .probe : .available
    }

    /// The breakers (provider first, then model) whose half-open probe this request would send.
    public func probeKeys(provider: String, modelID: String, in health: HealthSnapshot, now: Double) -> [String] {
        [provider, Self.modelKey(provider: provider, modelID: modelID)].filter { view(health.breakers[$0], now: now) == .probeAvailable }
    }
}
