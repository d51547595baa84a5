import RouterCore
import Synchronization

/// Every state port in memory, for tests and for a process that has nowhere
/// to keep state: the same rules as the SQLite store (`Breaker`,
/// `HealthUpdate`), each change atomic under one lock, nothing kept after exit.
public final class InMemoryState: StateBackend {
    /// One recorded attempt, as the log keeps it.
    public struct Row: Sendable {
        public var requestID: String
        public var at: Double
        public var route: String?
        public var attempt: AttemptRecord
        /// Whether this attempt gave the request's answer from a fallback.
        public var fallback: Bool
    }

    struct Session {
        var created: Double
        var updated: Double
        var system: String?
        var turns: [SavedTurn] = []
        var takenBackUSD = 0.0
    }

    struct Contents: Sendable {
        var rows: [Row] = []
        var breakers: [String: BreakerRecord] = [:]
        var cooldowns: [String: Double] = [:]
        var sessions: [String: Session] = [:]
        var kept: [(prompt: String, answer: String?)] = []
        var spend: [Spend] = []
        var sends: [(id: Int64, key: String, at: Double, tokens: Int)] = []
        var cache: [String: CachedAnswer] = [:]
        var nextReservation: Int64 = 1
        var snapshotReads = 0
    }

    /// One budget's share of a reservation, as the SQLite ledger keeps it.
    struct Spend: Sendable {
        var reservation: Int64
        var budget: String
        var at: Double
        var amount: Double
        var pending: Bool
        var expires: Double
    }

    public let owner: String
    private let contents = Mutex(Contents())

    public init(owner: String = "memory-\(RequestID.make())") {
        self.owner = owner
    }

    /// Every recorded attempt, oldest first.
    public var rows: [Row] { contents.withLock { $0.rows } }
    /// How many times breakers and cooldowns were read (`snapshot`).
    public var snapshotReads: Int { contents.withLock { $0.snapshotReads } }

    // MARK: HealthStore

    public func snapshot(providers: [String], now: Double) throws(StateFailure) -> HealthSnapshot {
        let wanted = Set(providers)
        func ours(_ key: String) -> Bool { wanted.contains(String(key.prefix { $0 != "/" })) }
        return contents.withLock { c in
            c.snapshotReads += 1
            return HealthSnapshot(breakers: c.breakers.filter { ours($0.key) },
                                  cooldowns: c.cooldowns.filter { ours($0.key) && $0.value > now && $0.value <= now + RetryAfter.limit })
        }
    }

    public func claimProbe(provider: String, now: Double) -> Bool {
        let rules = Breaker(config: BreakerConfig())
        return contents.withLock { c in
            guard var r = c.breakers[provider], rules.view(r, now: now) == .probeAvailable else { return false }
            r.probeOwner = owner
            r.probeStarted = now
            c.breakers[provider] = r
            return true
        }
    }

    public func closeBreaker(provider: String, now: Double) throws(StateFailure) {
        contents.withLock { c in
            guard c.breakers[provider]?.state == .open else { return }
            c.breakers[provider] = BreakerRecord(provider: provider, state: .closed, closedAt: now)
        }
    }

    public func reset(providers: [String]) throws(StateFailure) {
        contents.withLock { c in
            func matches(_ key: String) -> Bool { providers.isEmpty || providers.contains { key == $0 || key.hasPrefix($0 + "/") } }
            c.breakers = c.breakers.filter { !matches($0.key) }
            c.cooldowns = c.cooldowns.filter { !matches($0.key) }
        }
    }

    // MARK: AttemptSink

    /// Called before each record is kept (tests: a disk slower than the clients). Set before use.
    public nonisolated(unsafe) var recordGate: (@Sendable () -> Void)?

    public func record(_ result: RouteResult, requestID: String, at time: Double, breaker: Breaker?,
                       content: (prompt: String, answer: String?)?) throws(StateFailure) {
        recordGate?()
        contents.withLock { c in Self.insert(&c, result, requestID: requestID, at: time, breaker: breaker, owner: owner, content: content) }
    }

    private static func insert(_ c: inout Contents, _ result: RouteResult, requestID: String, at time: Double, breaker: Breaker?,
                               owner: String, content: (prompt: String, answer: String?)?) {
        if let content { c.kept.append((Secrets.redact(content.prompt), content.answer.map(Secrets.redact))) }
        for (i, a) in result.attempts.enumerated() {
            var kept = a
            kept.message = a.message.map(Secrets.redact)
            let isAnswer = a.outcome == .ok && i == result.attempts.count - 1
            c.rows.append(Row(requestID: requestID, at: time, route: result.route, attempt: kept, fallback: isAnswer && result.fallback))
        }
        guard let breaker else { return }
        for target in HealthUpdate.targets(of: result.attempts) {
            let record = c.breakers[target.key]
            let since = breaker.windowStart(record, now: time)
            let failures = c.rows.count { row in
                row.at >= since && row.attempt.provider == target.provider && HealthUpdate.scope(of: row.attempt) == target.scope
                    && (target.modelID == nil || row.attempt.modelID == target.modelID)
            }
            if let next = breaker.after(record, provider: target.key, succeeded: target.succeeded, failedNow: target.failedNow,
                                        failuresInWindow: failures, owner: owner, now: time) {
                c.breakers[target.key] = next
            }
            if let until = target.cooldown(now: time) { c.cooldowns[target.key] = max(until, c.cooldowns[target.key] ?? 0) }
        }
    }

    // MARK: AttemptHistory

    public func firstTokenP95(providers: [String]) throws(StateFailure) -> [String: Double] {
        let rows = self.rows
        var out: [String: Double] = [:]
        for p in providers {
            let times = rows.reversed().filter { $0.attempt.provider == p && $0.attempt.outcome == .ok }.compactMap(\.attempt.ttftMs)
                .prefix(200).sorted()
            guard times.count >= 20, let t = StatsAccumulator.percentile(times, 0.95) else { continue }
            out[p] = Double(t) / 1000
        }
        return out
    }

    public func medianFirstToken(of labels: [String]) throws(StateFailure) -> [String: Double] {
        let rows = self.rows
        var out: [String: Double] = [:]
        for label in labels {
            let times = rows.reversed().filter { "\($0.attempt.provider)/\($0.attempt.modelID)" == label && $0.attempt.outcome == .ok
                && $0.route != RecordedRoute.check }.map { $0.attempt.ttftMs ?? $0.attempt.latencyMs }.prefix(50).sorted()
            if let median = StatsAccumulator.percentile(Array(times), 0.5) { out[label] = Double(median) }
        }
        return out
    }

    public func hedgeShare(route: String?, since: Double) throws(StateFailure) -> Double {
        let rows = self.rows.filter { $0.at >= since && $0.route == route }
        let requests = Set(rows.map(\.requestID))
        let hedged = Set(rows.filter(\.attempt.hedged).map(\.requestID))
        return requests.isEmpty ? 0 : Double(hedged.count) / Double(requests.count)
    }

    public func latencyP50(providers: [String]) throws(StateFailure) -> [String: Int] {
        let rows = self.rows
        var out: [String: Int] = [:]
        for p in providers {
            let times = rows.reversed().filter { $0.attempt.provider == p && $0.attempt.outcome == .ok && $0.route != RecordedRoute.check }
                .map(\.attempt.latencyMs).prefix(100).sorted()
            if !times.isEmpty { out[p] = times[(times.count - 1) / 2] }
        }
        return out
    }

    public func stats(from: Double, to: Double, route: String?, bench: Bool) throws(StateFailure) -> [StatsFigures] {
        var acc = StatsAccumulator()
        for row in rows where row.at >= from && row.at < to && row.route != RecordedRoute.check
            && (bench || row.route != RecordedRoute.bench) && (route == nil || row.route == route) {
            let a = row.attempt
            acc.add(StatsRow(provider: a.provider, model: a.model, outcome: "\(a.outcome)", latencyMs: a.latencyMs, ttftMs: a.ttftMs,
                             costUSD: a.costUSD, fallback: row.fallback, hedge: a.hedged))
        }
        return acc.figures()
    }

    public func prune(before: Double) throws(StateFailure) -> Int {
        contents.withLock { c in
            let kept = c.rows.filter { $0.at >= before }
            defer { c.rows = kept }
            return c.rows.count - kept.count
        }
    }

    // MARK: SessionStore

    public func recordTurn(session name: String, system: String?, user: String, result: RouteResult, requestID: String,
                           at time: Double, breaker: Breaker?) throws(StateFailure) -> Int? {
        let outcome: Result<Int?, StateFailure> = contents.withLock { c in
            Self.insert(&c, result, requestID: requestID, at: time, breaker: breaker, owner: owner, content: nil)
            guard result.failure == nil, let answer = result.text else { return .success(nil) }
            var s = c.sessions[name] ?? Session(created: time, updated: time)
            s.updated = time
            s.system = system.map(Secrets.redact)
            // No number that a stored turn holds can overflow the next.
            let next = (s.turns.map(\.turn).max() ?? 0).addingReportingOverflow(1)
            guard !next.overflow else {
                return .failure(StateFailure(path: "memory", reason: "session '\(name)' holds a turn numbered \(Int.max)"))
            }
            s.turns.append(SavedTurn(turn: next.partialValue, at: max(time, s.turns.last?.at ?? time), user: Secrets.redact(user), assistant: Secrets.redact(answer),
                                     provider: result.provider, model: result.model, costUSD: result.costUSD))
            c.sessions[name] = s
            return .success(next.partialValue)
        }
        return try outcome.get()
    }

    public func session(_ name: String) throws(StateFailure) -> (system: String?, turns: [SavedTurn], takenBackUSD: Double)? {
        contents.withLock { c in c.sessions[name].map { ($0.system, $0.turns, $0.takenBackUSD) } }
    }

    public func deleteTurn(session name: String, turn: Int) throws(StateFailure) {
        contents.withLock { c in
            guard let i = c.sessions[name]?.turns.firstIndex(where: { $0.turn == turn }) else { return }
            let taken = c.sessions[name]?.turns.remove(at: i)
            c.sessions[name]?.takenBackUSD += taken?.costUSD ?? 0
        }
    }

    public func claimSession(_ name: String, at time: Double) throws(StateFailure) -> Bool {
        contents.withLock { c in
            guard c.sessions[name] == nil else { return false }
            c.sessions[name] = Session(created: time, updated: time)
            return true
        }
    }

    public func sessions() throws(StateFailure) -> [SessionSummary] {
        contents.withLock { c in
            c.sessions.filter { !$0.value.turns.isEmpty }.map { name, s in
                SessionSummary(name: name, turns: s.turns.count, lastUsed: s.updated, costUSD: s.turns.compactMap(\.costUSD).reduce(s.takenBackUSD, +))
            }.sorted { $0.lastUsed != $1.lastUsed ? $0.lastUsed > $1.lastUsed : $0.name < $1.name }
        }
    }

    public func renameSession(_ old: String, to new: String) throws(StateFailure) -> Bool {
        let outcome: Result<Bool, StateFailure> = contents.withLock { c in
            guard let s = c.sessions[old] else { return .success(false) }
            guard c.sessions[new] == nil else { return .failure(StateFailure(path: "memory", reason: "a session named '\(new)' already exists")) }
            c.sessions[old] = nil
            c.sessions[new] = s
            return .success(true)
        }
        return try outcome.get()
    }

    // MARK: BudgetLedger

    public func reserve(_ amount: Double, against budgets: [BudgetConfig], expires: Double, now: Double) throws(StateFailure) -> BudgetReservation {
        contents.withLock { c in
            let names = Set(budgets.map(\.name))
            c.spend.removeAll { names.contains($0.budget) && $0.pending && $0.expires <= now }
            for b in budgets {
                let u = Self.usage(c.spend, of: b, now: now)
                if !u.admits(amount) { return .over(u) }
            }
            let id = c.nextReservation
            c.nextReservation += 1
            for b in budgets { c.spend.append(Spend(reservation: id, budget: b.name, at: now, amount: amount, pending: true, expires: expires)) }
            return .reserved(id: id)
        }
    }

    public func settle(_ id: Int64, cost: Double, now: Double) throws(StateFailure) {
        contents.withLock { c in
            for i in c.spend.indices where c.spend[i].reservation == id {
                c.spend[i].amount = cost.isFinite ? max(0, cost) : 0
                c.spend[i].pending = false
            }
        }
    }

    public func usage(of budgets: [BudgetConfig], now: Double) throws(StateFailure) -> [BudgetUsage] {
        contents.withLock { c in budgets.map { Self.usage(c.spend, of: $0, now: now) } }
    }

    static func usage(_ spend: [Spend], of b: BudgetConfig, now: Double) -> BudgetUsage {
        let live = spend.filter { $0.budget == b.name && $0.at > now - b.per && (!$0.pending || $0.expires > now) }
        return BudgetUsage(budget: b, spent: live.filter { !$0.pending }.reduce(0) { $0 + $1.amount },
                           reserved: live.filter(\.pending).reduce(0) { $0 + $1.amount },
                           nextRelease: live.map(\.at).min().map { $0 + b.per })
    }

    // MARK: RateLedger

    public func takeSlot(_ windows: [RateWindow], tokens: Int, now: Double) throws(StateFailure) -> SlotGrant {
        contents.withLock { c in
            for w in windows { c.sends.removeAll { $0.key == w.key && $0.at <= now - w.limit.per } }
            if let full = Self.fullWindow(c, windows, tokens: tokens, now: now) { return full }
            let id = (c.sends.map(\.id).max() ?? 0) + 1
            for w in windows { c.sends.append((id, w.key, now, tokens)) }
            return .granted(id: id)
        }
    }

    public func check(_ windows: [RateWindow], tokens: Int, now: Double) throws(StateFailure) -> SlotGrant? {
        contents.withLock { c in Self.fullWindow(c, windows, tokens: tokens, now: now) }
    }

    /// The first of `windows` with no room for the request, by the same rule as the SQLite store.
    static func fullWindow(_ c: Contents, _ windows: [RateWindow], tokens: Int, now: Double) -> SlotGrant? {
        for w in windows {
            let sends = c.sends.filter { $0.key == w.key && $0.at > now - w.limit.per }.sorted { $0.at < $1.at }.map { (at: $0.at, tokens: $0.tokens) }
            if let full = RateRule.check(w, sends: sends, tokens: tokens, now: now) { return full }
        }
        return nil
    }

    public func correct(_ id: Int64, tokens: Int) throws(StateFailure) {
        contents.withLock { c in
            for i in c.sends.indices where c.sends[i].id == id { c.sends[i].tokens = max(0, tokens) }
        }
    }

    public func use(of windows: [RateWindow], now: Double) throws(StateFailure) -> [WindowUse] {
        contents.withLock { c in
            windows.map { w in
                let live = c.sends.filter { $0.key == w.key && $0.at > now - w.limit.per }
                return WindowUse(window: w, requests: live.count, tokens: live.reduce(0) { $0 + $1.tokens })
            }
        }
    }

    // MARK: ResponseCache

    public func cached(_ key: CacheKey, now: Double, ttl: Double) throws(StateFailure) -> CachedAnswer? {
        contents.withLock { c in c.cache[key.text].flatMap { $0.storedAt > now - ttl ? $0 : nil } }
    }

    public func keep(_ key: CacheKey, _ answer: CachedAnswer) throws(StateFailure) {
        contents.withLock { $0.cache[key.text] = answer }
    }

    public func cacheStats(now: Double, ttl: Double) throws(StateFailure) -> CacheStats {
        contents.withLock { c in
            var s = CacheStats()
            s.entries = c.cache.count
            s.bytes = c.cache.reduce(0) { $0 + $1.key.utf8.count + $1.value.text.utf8.count }
            s.expired = c.cache.values.filter { $0.storedAt <= now - ttl }.count
            s.oldest = c.cache.values.map(\.storedAt).min()
            s.newest = c.cache.values.map(\.storedAt).max()
            return s
        }
    }

    public func cacheEntries(limit: Int) throws(StateFailure) -> [CacheEntrySummary] {
        contents.withLock { c in
            c.cache.sorted { $0.value.storedAt > $1.value.storedAt }.prefix(max(0, limit))
                .map { CacheEntrySummary(key: CacheKey(canonical: $0.key), answer: $0.value) }
        }
    }

    public func dropCache(before: Double?) throws(StateFailure) -> Int {
        contents.withLock { c in
            let gone = c.cache.filter { before == nil || $0.value.storedAt < before! }.map(\.key)
            for k in gone { c.cache[k] = nil }
            return gone.count
        }
    }
}
