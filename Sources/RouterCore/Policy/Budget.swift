/// A spending limit over a rolling window (`budgets:`), shared by every
/// process on the same state: what an attempt may cost is reserved before it
/// is sent, and becomes what it really cost after.
public struct BudgetConfig: Sendable, Equatable {
    /// What a budget counts: everything, or the requests of one provider,
    /// catalog model, route or tag.
    public enum Scope: Sendable, Equatable {
        case all
        case provider(String)
        case model(String)
        case route(String)
        case tag(String)

        /// "everything", "provider openai", "tag team-a".
        public var text: String {
            switch self {
            case .all: return "everything"
            case .provider(let p): return "provider \(p)"
            case .model(let m): return "model \(m)"
            case .route(let r): return "route \(r)"
            case .tag(let t): return "tag \(t)"
            }
        }
    }

    public var name: String
    /// The limit, in USD.
    public var usd: Double
    /// The rolling window, in seconds.
    public var per: Double
    public var scope: Scope

    public init(name: String, usd: Double, per: Double, scope: Scope = .all) {
        self.name = name
        self.usd = usd
        self.per = per
        self.scope = scope
    }

    /// Whether an attempt on `candidate`, for a request through `route` made with `tag`, counts against this budget.
    public func covers(_ candidate: Candidate, route: String?, tag: String?) -> Bool {
        switch scope {
        case .all: return true
        case .provider(let p): return candidate.provider.name == p
        case .model(let m): return candidate.model.name == m || candidate.label == m
        case .route(let r): return route == r
        case .tag(let t): return tag == t
        }
    }
}

/// What a budget holds now: settled spend and pending reservations in its window.
public struct BudgetUsage: Sendable, Equatable {
    public var budget: BudgetConfig
    public var spent: Double
    public var reserved: Double
    /// When the oldest spend in the window leaves it (seconds since the epoch); nil when nothing is in it.
    public var nextRelease: Double?

    public init(budget: BudgetConfig, spent: Double, reserved: Double, nextRelease: Double?) {
        self.budget = budget
        self.spent = spent
        self.reserved = reserved
        self.nextRelease = nextRelease
    }

    /// What may still be reserved.
    public var left: Double { max(0, budget.usd - spent - reserved) }

    /// Whether `amount` more stays within the limit (a hair of float rounding forgiven).
    public func admits(_ amount: Double) -> Bool { spent + reserved + amount <= budget.usd * (1 + 1e-9) }
}

/// The answer to a reservation.
public enum BudgetReservation: Sendable, Equatable {
    /// Reserved against every budget given; `id` settles it.
    case reserved(id: Int64)
    /// `budget` would go past its limit; nothing was reserved.
    case over(BudgetUsage)
}

/// The budgets' shared ledger: reservations are atomic across every process on the state.
public protocol BudgetLedger: Sendable {
    /// Reserves `amount` against every one of `budgets` in one transaction, or
    /// none when one of them would go past its limit. A reservation that is
    /// not settled by `expires` (its process died) no longer counts.
    func reserve(_ amount: Double, against budgets: [BudgetConfig], expires: Double, now: Double) throws(StateFailure) -> BudgetReservation
    /// Turns reservation `id` into what the attempt really cost.
    func settle(_ id: Int64, cost: Double, now: Double) throws(StateFailure)
    /// Each budget's spend, reservations and next release now.
    func usage(of budgets: [BudgetConfig], now: Double) throws(StateFailure) -> [BudgetUsage]
}

extension BudgetLedger {
    /// The reservations' ledger rows for `budgets`, as `usage` reads them, for one budget.
    public func usage(of budget: BudgetConfig, now: Double) throws(StateFailure) -> BudgetUsage {
        try usage(of: [budget], now: now).first ?? BudgetUsage(budget: budget, spent: 0, reserved: 0, nextRelease: nil)
    }
}

public enum BudgetText {
    /// `over budget 'daily': $0.0012 of $5.00 left in this 1d`.
    public static func over(_ u: BudgetUsage) -> String {
        "over budget '\(u.budget.name)': \(usd(u.left)) of \(usd(u.budget.usd)) left in this \(DurationParser.exact(u.budget.per))"
    }

    /// A span as people say it: `23h 59m`, `4m 10s`, `12s`.
    public static func span(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 1 else { return seconds > 0 ? "1s" : "0s" }
        let s = Int(saturating: seconds.rounded(.up))
        let (d, h, m, r) = (s / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60)
        if d > 0 { return h > 0 ? "\(d)d \(h)h" : "\(d)d" }
        if h > 0 { return m > 0 ? "\(h)h \(m)m" : "\(h)h" }
        if m > 0 { return r > 0 ? "\(m)m \(r)s" : "\(m)m" }
        return "\(r)s"
    }

    /// Dollars as people write them: cents from $1 up (`$5.00`), two significant digits below (`$0.0012`).
    public static func usd(_ x: Double) -> String {
        guard x.isFinite else { return "$?" }
        if x == 0 { return "$0.00" }
        if abs(x) < 1 { return "$" + NumberText.decimal(x, significant: 2) }
        guard abs(x) < 1e13 else { return "$" + NumberText.plain(x.rounded()) }
        let cents = Int((abs(x) * 100).rounded())
        let frac = cents % 100
        return (x < 0 ? "-$" : "$") + "\(cents / 100)." + (frac < 10 ? "0" : "") + "\(frac)"
    }
}
