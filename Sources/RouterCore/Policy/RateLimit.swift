/// A provider's or model's rate limit (`limits:`): at most `requests`
/// requests and `tokens` tokens in any sliding window of `per` seconds,
/// counted by every llmr process on the same state.
public struct RateLimit: Sendable, Equatable {
    public var requests: Int?
    public var tokens: Int?
    public var per: Double

    public init(requests: Int? = nil, tokens: Int? = nil, per: Double) {
        self.requests = requests
        self.tokens = tokens
        self.per = per
    }
}

/// One window a request counts in: the provider's (`key` its name) or the model's (`provider/model-id`).
public struct RateWindow: Sendable, Equatable {
    public var key: String
    public var limit: RateLimit

    public init(key: String, limit: RateLimit) {
        self.key = key
        self.limit = limit
    }

    /// The windows an attempt on `c` counts in.
    public static func of(_ c: Candidate) -> [RateWindow] {
        var out: [RateWindow] = []
        if let l = c.provider.limits { out.append(RateWindow(key: c.provider.name, limit: l)) }
        if let l = c.model.limits { out.append(RateWindow(key: Breaker.modelKey(provider: c.provider.name, modelID: c.model.id), limit: l)) }
        return out
    }
}

/// What a window holds now.
public struct WindowUse: Sendable, Equatable {
    public var window: RateWindow
    public var requests: Int
    public var tokens: Int

    public init(window: RateWindow, requests: Int, tokens: Int) {
        self.window = window
        self.requests = requests
        self.tokens = tokens
    }
}

/// The answer to asking for a slot.
public enum SlotGrant: Sendable, Equatable {
    /// Counted in every window; `id` corrects its tokens after.
    case granted(id: Int64)
    /// `window` is full until `readyAt` (seconds since the epoch; infinity:
    /// this request alone is over the window's tokens). Nothing was counted.
    case full(window: RateWindow, readyAt: Double, why: String)
}

/// The rules of a sliding window, shared by the stores: given the sends in a
/// window (oldest first), whether one more fits, and if not when it will.
public enum RateRule {
    /// `sends`: (time, tokens) of the sends in the window ending `now`, oldest first.
    public static func check(_ w: RateWindow, sends: [(at: Double, tokens: Int)], tokens: Int, now: Double) -> SlotGrant? {
        if let cap = w.limit.requests, sends.count + 1 > cap {
            // The send whose leaving makes room for one more.
            let freeing = sends[sends.count - cap]
            return .full(window: w, readyAt: freeing.at + w.limit.per,
                         why: "\(w.key) is at its limit of \(cap) requests per \(DurationParser.exact(w.limit.per))")
        }
        if let cap = w.limit.tokens {
            guard tokens <= cap else {
                return .full(window: w, readyAt: .infinity,
                             why: "about \(tokens) tokens is more than \(w.key)'s limit of \(cap) per \(DurationParser.exact(w.limit.per))")
            }
            var used = sends.reduce(0) { $0 &+ max(0, $1.tokens) }
            if used + tokens > cap {
                var readyAt = now
                var i = 0
                while used + tokens > cap, i < sends.count {
                    used -= max(0, sends[i].tokens)
                    readyAt = sends[i].at + w.limit.per
                    i += 1
                }
                return .full(window: w, readyAt: readyAt,
                             why: "\(w.key) is at its limit of \(cap) tokens per \(DurationParser.exact(w.limit.per))")
            }
        }
        return nil
    }
}

/// The rate windows' shared log: taking a slot checks and counts in one
/// transaction, so the configured count is never exceeded by concurrent processes.
public protocol RateLedger: Sendable {
    /// Counts a request of about `tokens` tokens in every one of `windows`, or
    /// in none when one of them is full.
    func takeSlot(_ windows: [RateWindow], tokens: Int, now: Double) throws(StateFailure) -> SlotGrant
    /// Whether a request of about `tokens` tokens would fit now, counting nothing (`route`'s preview).
    func check(_ windows: [RateWindow], tokens: Int, now: Double) throws(StateFailure) -> SlotGrant?
    /// Replaces a counted request's estimate with the tokens it really used.
    func correct(_ id: Int64, tokens: Int) throws(StateFailure)
    /// What each window holds now.
    func use(of windows: [RateWindow], now: Double) throws(StateFailure) -> [WindowUse]
}

/// The holds a provider's own rate-limit headers ask for: remaining 0 holds
/// the model back until the reset, for every process (a cooldown).
public enum RateLimitHeaders {
    /// Seconds to hold back, from OpenAI-style `x-ratelimit-remaining-requests`
    /// / `-tokens` with `x-ratelimit-reset-requests` / `-tokens` (`1s`, `6m0s`,
    /// `20ms`), and Anthropic's `anthropic-ratelimit-requests-remaining` /
    /// `-reset` (RFC 3339) and the token variants. Nil when nothing is at 0.
    public static func hold(_ header: (String) -> String?, now: Double) -> Double? {
        var hold: Double?
        for kind in ["requests", "tokens", "input-tokens", "output-tokens"] {
            if header("x-ratelimit-remaining-\(kind)")?.trimmingWhitespace() == "0",
               let reset = header("x-ratelimit-reset-\(kind)").flatMap(Self.duration) {
                hold = max(hold ?? 0, reset)
            }
            if header("anthropic-ratelimit-\(kind)-remaining")?.trimmingWhitespace() == "0",
               let reset = header("anthropic-ratelimit-\(kind)-reset").flatMap({ RetryAfter.rfc3339($0) }) {
                hold = max(hold ?? 0, reset - now)
            }
        }
        guard let h = hold, h > 0 else { return nil }
        return min(h, RetryAfter.limit)
    }

    /// `1s`, `6m0s`, `20ms`, `1h2m3.5s`: Go's duration format, as OpenAI sends it.
    public static func duration(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        let s = Array(text.trimmingWhitespace())
        guard !s.isEmpty else { return nil }
        var i = 0
        var sawUnit = false
        while i < s.count {
            let c = s[i]
            if c.isNumber || c == "." {
                number.append(c)
                i += 1
                continue
            }
            guard let value = Double(number) else { return nil }
            number = ""
            let unit: Double
            if c == "m", i + 1 < s.count, s[i + 1] == "s" { unit = 0.001; i += 2 }
            else if c == "h" { unit = 3600; i += 1 }
            else if c == "m" { unit = 60; i += 1 }
            else if c == "s" { unit = 1; i += 1 }
            else { return nil }
            total += value * unit
            sawUnit = true
        }
        // A bare number is seconds.
        if !number.isEmpty {
            guard let value = Double(number) else { return nil }
            total += value
        } else if !sawUnit {
            return nil
        }
        return total.isFinite && total >= 0 ? total : nil
    }
}

/// Budgets and rate windows together: what an attempt takes before it is
/// sent and gives back after, each in one transaction where the store can.
public protocol GovernanceLedger: BudgetLedger, RateLedger {
    /// Reserves `amount` against `budgets` and counts a request of about
    /// `tokens` tokens in `windows`, all or nothing: a refusal of either leaves
    /// no trace. An empty list asks for nothing of that kind (nil).
    func admit(_ amount: Double, against budgets: [BudgetConfig], expires: Double, windows: [RateWindow], tokens: Int,
               now: Double) throws(StateFailure) -> (BudgetReservation?, SlotGrant?)
    /// Settles a reservation at `cost` and corrects a slot's tokens, together.
    func settle(reservation: Int64?, cost: Double, slot: Int64?, tokens: Int?, now: Double) throws(StateFailure)
}

extension GovernanceLedger {
    public func admit(_ amount: Double, against budgets: [BudgetConfig], expires: Double, windows: [RateWindow], tokens: Int,
                      now: Double) throws(StateFailure) -> (BudgetReservation?, SlotGrant?) {
        var reservation: BudgetReservation?
        if !budgets.isEmpty {
            reservation = try reserve(amount, against: budgets, expires: expires, now: now)
            if case .over = reservation { return (reservation, nil) }
        }
        guard !windows.isEmpty else { return (reservation, nil) }
        let grant = try takeSlot(windows, tokens: tokens, now: now)
        if case .full = grant {
            // A full window leaves no reservation behind.
            if case .reserved(let id)? = reservation { try settle(id, cost: 0, now: now) }
            return (nil, grant)
        }
        return (reservation, grant)
    }

    public func settle(reservation: Int64?, cost: Double, slot: Int64?, tokens: Int?, now: Double) throws(StateFailure) {
        if let reservation { try settle(reservation, cost: cost, now: now) }
        if let slot, let tokens { try correct(slot, tokens: tokens) }
    }
}
