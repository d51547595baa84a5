import RouterCore
import StateStore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The state a fleet shares (`state.shared`): breakers, cooldowns, probe
/// claims, rate windows, budgets and, with `cache.shared`, the response cache
/// live in Redis; the attempt log, sessions and history stay in this machine's
/// file (`local`). When Redis is out of reach, slow past `timeout` or answers
/// nonsense, the process says so once on stderr and goes on with its local
/// state; budgets then hold locally only when `budgets_offline: local` allows it.
public final class SharedState: StateBackend, @unchecked Sendable {
    public let local: AttemptLog
    public let url: RedisURL
    let namespace: String
    let timeout: Double
    let budgetsOffline: StateConfig.BudgetsOffline
    let sharedCache: Bool
    /// Unique across machines: the half-open probe claims are made in its name.
    public let owner: String
    private let connection: Mutex<RedisConnection?>
    /// Why Redis is not in use, and when that was found.
    private let trouble = Mutex<(why: String, at: Double)?>(nil)
    /// How long a process that gave up on Redis waits before trying it again.
    public var retryInterval = 30.0
    /// Monotonic seconds (a test's clock, else the system's).
    public var now: @Sendable () -> Double = { SystemClock().now() }
    private let warn: @Sendable (String) -> Void

    /// Connects now (within `timeout`); when that fails the process works on
    /// `local` and the reason is said once.
    public init(local: AttemptLog, url: RedisURL, namespace: String, timeout: Double, budgetsOffline: StateConfig.BudgetsOffline,
                sharedCache: Bool, warn: @escaping @Sendable (String) -> Void) {
        self.local = local
        self.url = url
        self.namespace = namespace
        self.timeout = timeout
        self.budgetsOffline = budgetsOffline
        self.sharedCache = sharedCache
        self.warn = warn
        owner = Self.makeOwner()
        do {
            connection = Mutex(try RedisConnection(url: url, timeout: timeout))
        } catch {
            connection = Mutex(nil)
            degrade(error.message)
        }
    }

    static func makeOwner() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        var g = SystemRandomNumberGenerator()
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host):\(getpid()):\(String(g.next() & 0xFFFF_FFFF, radix: 16))"
    }

    /// Why Redis is not in use, or nil while it is.
    public var unavailable: String? { trouble.withLock { $0?.why } }

    /// Which state this process uses, for `llmr providers`.
    public var summary: String {
        if let why = unavailable { return "local (shared state \(url) unavailable: \(why))" }
        return "shared: \(url) (namespace \(namespace)); attempt log local: \(local.path)"
    }

    /// Gives up on Redis, saying why once, until `retryInterval` has passed.
    func degrade(_ why: String) {
        let at = now()
        let first = trouble.withLock { t -> Bool in
            let was = t == nil
            t = (t?.why ?? why, at)
            return was
        }
        connection.withLock { $0 = nil }
        if first { warn("llmr: shared state \(url) unavailable (\(why)); this process uses its local state") }
    }

    /// After `retryInterval` without Redis, one new connection (within the
    /// timeout); true when Redis is in use again.
    func reconnectIfDue() -> Bool {
        guard let t = trouble.withLock({ $0 }) else { return true }
        guard now() - t.at >= retryInterval else { return false }
        let (url, timeout) = (self.url, self.timeout)
        let failed: RedisError? = connection.withLock { c in
            do throws(RedisError) {
                c = try RedisConnection(url: url, timeout: timeout)
                return nil
            } catch {
                return error
            }
        }
        if failed != nil {
            let at = now()
            trouble.withLock { t in t = (t?.why ?? "", at) }
            return false
        }
        trouble.withLock { $0 = nil }
        warn("llmr: shared state \(url) is reachable again; this process uses it")
        return true
    }

    /// Runs a script on Redis: its reply, or nil (and local state until Redis is back) when Redis fails.
    func run(_ script: String, _ args: [String]) -> RedisReply? {
        command(["EVAL", script, "0"] + args)
    }

    /// One command on Redis: its reply, or nil (and local state until Redis
    /// is back) when Redis fails or answers an error. A connection closed
    /// under us (a restart) gets one new connection and one more try; a slow
    /// server gets none: it costs one timeout.
    func command(_ args: [String]) -> RedisReply? {
        guard reconnectIfDue() else { return nil }
        let outcome: Result<RedisReply, RedisError> = connection.withLock { c in
            guard let conn = c else { return .failure(RedisError("not connected")) }
            func once() throws(RedisError) -> RedisReply {
                let reply = try conn.command(args)
                if case .error(let e) = reply { throw RedisError("Redis answered: \(e)") }
                return reply
            }
            do throws(RedisError) {
                return .success(try once())
            } catch where !error.timedOut && !error.message.hasPrefix("Redis answered") {
                do throws(RedisError) {
                    try conn.connect()
                    return .success(try once())
                } catch {
                    return .failure(error)
                }
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let r): return r
        case .failure(let e):
            degrade(e.message)
            return nil
        }
    }

    func nonsense(_ what: String) -> RedisReply? {
        degrade("an answer that is not \(what)")
        return nil
    }

    /// A sum of money from Redis: nil unless a finite amount no ledger of ours would exceed.
    static func amount(_ text: String) -> Double? {
        Double(text).flatMap { $0.isFinite && $0 >= 0 && $0 < 1e15 ? $0 : nil }
    }

    /// A time from Redis (seconds since the epoch): nil unless finite and plausible.
    static func time(_ text: String) -> Double? {
        Double(text).flatMap { $0.isFinite && abs($0) < 1e12 ? $0 : nil }
    }

    /// A count of tokens from Redis, whatever text it arrives in: 0 for none, at most Int.max / 4.
    static func count(_ text: String) -> Int {
        guard let d = Double(text), d.isFinite, d > 0 else { return 0 }
        return d >= Double(Int.max / 4) ? Int.max / 4 : Int(d)
    }

    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        return NumberText.decimal(x, significant: 17)
    }

    /// Redis's health and how long a round trip takes, for `providers check`.
    public func ping() -> (ok: Bool, detail: String) {
        let start = SystemClock().now()
        guard case .status(let s)? = command(["PING"]), s == "PONG" else {
            return (false, unavailable ?? "no PONG")
        }
        let ms = (SystemClock().now() - start) * 1000
        var version = ""
        if case .string(let info)? = command(["INFO", "server"]),
           let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("redis_version:") }) {
            version = "Redis " + line.dropFirst("redis_version:".count) + ", "
        }
        return (true, "\(version)round trip \(NumberText.decimal(ms, significant: 2)) ms")
    }
}

// MARK: - Health

extension SharedState {
    public func snapshot(providers: [String], now: Double) throws(StateFailure) -> HealthSnapshot {
        guard let reply = run(RedisScripts.snapshot, [namespace]) else { return try local.snapshot(providers: providers, now: now) }
        guard case .array(let parts) = reply, parts.count == 2, case .array(let health) = parts[0], case .array(let cool) = parts[1] else {
            _ = nonsense("a snapshot")
            return try local.snapshot(providers: providers, now: now)
        }
        let wanted = Set(providers)
        func ours(_ key: String) -> Bool { wanted.contains(String(key.prefix { $0 != "/" })) }
        var out = HealthSnapshot()
        var i = 0
        while i + 1 < health.count {
            if let key = health[i].text, let value = health[i + 1].text, ours(key), let r = Self.breaker(key, value) { out.breakers[key] = r }
            i += 2
        }
        i = 0
        while i + 1 < cool.count {
            if let key = cool[i].text, let until = cool[i + 1].text.flatMap(Double.init), ours(key), until.isFinite,
               until > now, until <= now + RetryAfter.limit {
                out.cooldowns[key] = until
            }
            i += 2
        }
        return out
    }

    /// A breaker from its stored text; nil when it is not ours to read.
    static func breaker(_ key: String, _ value: String) -> BreakerRecord? {
        let p = value.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard p.count >= 5, let state = BreakerRecord.State(rawValue: p[0]),
              let closedAt = Double(p[1]), let openUntil = Double(p[2]), closedAt.isFinite, openUntil.isFinite else { return nil }
        return BreakerRecord(provider: key, state: state, closedAt: closedAt, openUntil: openUntil,
                             probeOwner: p[3].isEmpty ? nil : p[3], probeStarted: Double(p[4]).flatMap { $0.isFinite ? $0 : nil })
    }

    public func claimProbe(provider: String, now: Double) -> Bool {
        guard let reply = run(RedisScripts.claim, [namespace, provider, Self.number(now), owner, Self.number(Breaker.defaultProbeTimeout)]) else {
            return local.claimProbe(provider: provider, now: now)
        }
        return reply == .integer(1)
    }

    public func closeBreaker(provider: String, now: Double) throws(StateFailure) {
        let script = """
            local hk = ARGV[1] .. ':health'
            local raw = redis.call('HGET', hk, ARGV[2])
            if raw and string.sub(raw, 1, 5) == 'open|' then redis.call('HSET', hk, ARGV[2], 'closed|' .. ARGV[3] .. '|0||') end
            return 1
            """
        guard run(script, [namespace, provider, Self.number(now)]) != nil else { return try local.closeBreaker(provider: provider, now: now) }
    }

    public func reset(providers: [String]) throws(StateFailure) {
        // This machine's copy goes too: it is what a process falls back on.
        try local.reset(providers: providers)
        _ = run(RedisScripts.reset, [namespace] + providers)
    }

    /// Moves the breakers and cooldowns of what `result` tried, on Redis; false when Redis failed.
    func moveHealth(_ result: RouteResult, requestID: String, at time: Double, breaker: Breaker) -> Bool {
        let targets = HealthUpdate.targets(of: result.attempts)
        guard !targets.isEmpty else { return true }
        let ttl = Int(max(breaker.config.window, breaker.config.openFor, RetryAfter.limit) * 2) + 3600
        var args = [namespace, Self.number(time), owner, Self.number(breaker.config.window), String(breaker.config.failures),
                    Self.number(breaker.config.openFor), String(ttl)]
        for t in targets {
            let failures = t.attempts.filter { HealthUpdate.scope(of: $0) == t.scope }.count
            args += [t.key, t.succeeded ? "1" : "0", String(failures), "\(owner):\(requestID)", t.cooldown(now: time).map(Self.number) ?? ""]
        }
        return run(RedisScripts.health, args) != nil
    }

    public func record(_ result: RouteResult, requestID: String, at time: Double, breaker: Breaker?,
                       content: (prompt: String, answer: String?)?) throws(StateFailure) {
        if let breaker, !moveHealth(result, requestID: requestID, at: time, breaker: breaker) {
            return try local.record(result, requestID: requestID, at: time, breaker: breaker, content: content)
        }
        try local.record(result, requestID: requestID, at: time, breaker: nil, content: content)
    }

    @discardableResult
    public func recordTurn(session name: String, system: String?, user: String, result: RouteResult, requestID: String,
                           at time: Double, breaker: Breaker?) throws(StateFailure) -> Int? {
        if let breaker, !moveHealth(result, requestID: requestID, at: time, breaker: breaker) {
            return try local.recordTurn(session: name, system: system, user: user, result: result, requestID: requestID, at: time, breaker: breaker)
        }
        return try local.recordTurn(session: name, system: system, user: user, result: result, requestID: requestID, at: time, breaker: nil)
    }
}

// MARK: - Budgets and rate windows

extension SharedState {
    func ledgerArgs(_ mode: String, now: Double, amount: Double = 0, expires: Double = 0, tokens: Int = 0,
                    windows: [RateWindow] = [], budgets: [BudgetConfig] = []) -> [String] {
        var args = [namespace, mode, Self.number(now), Self.number(amount), Self.number(expires), String(tokens),
                    String(windows.count), String(budgets.count)]
        for w in windows {
            args += [w.key, Self.number(w.limit.per), w.limit.requests.map(String.init) ?? "-1", w.limit.tokens.map(String.init) ?? "-1"]
        }
        for b in budgets { args += [b.name, Self.number(b.per), Self.number(b.usd)] }
        return args
    }

    /// The ledger out of reach: budgets fail unless the config lets local spend stand in.
    func offline() throws(StateFailure) {
        guard budgetsOffline == .local else {
            throw StateFailure(path: url.description, reason: "the shared budgets' ledger cannot be read (\(unavailable ?? "Redis failed")); state.budgets_offline: local lets this machine's stand in")
        }
    }

    public func admit(_ amount: Double, against budgets: [BudgetConfig], expires: Double, windows: [RateWindow], tokens: Int,
                      now: Double) throws(StateFailure) -> (BudgetReservation?, SlotGrant?) {
        guard let reply = run(RedisScripts.ledger, ledgerArgs("admit", now: now, amount: amount, expires: expires, tokens: tokens,
                                                               windows: windows, budgets: budgets)) else {
            if !budgets.isEmpty { try offline() }
            return try local.admit(amount, against: budgets, expires: expires, windows: windows, tokens: tokens, now: now)
        }
        guard case .array(let items) = reply, let head = items.first?.text else {
            _ = nonsense("the ledger's")
            if !budgets.isEmpty { try offline() }
            return try local.admit(amount, against: budgets, expires: expires, windows: windows, tokens: tokens, now: now)
        }
        let texts = items.map { $0.text ?? "" }
        switch head {
        case "full":
            return (nil, full(texts, windows: windows, tokens: tokens, now: now))
        case "over":
            guard texts.count >= 5, let b = Int(texts[1]), budgets.indices.contains(b - 1) else { break }
            let budget = budgets[b - 1]
            let u = BudgetUsage(budget: budget, spent: Self.amount(texts[2]) ?? budget.usd, reserved: Self.amount(texts[3]) ?? budget.usd,
                                nextRelease: Self.time(texts[4]).map { $0 + budget.per })
            return (.over(u), nil)
        case "ok":
            guard texts.count >= 3 else { break }
            let reservation = Int64(texts[1]).map { BudgetReservation.reserved(id: $0) }
            let slot = Int64(texts[2]).map { SlotGrant.granted(id: $0) }
            return (budgets.isEmpty ? nil : reservation, windows.isEmpty ? nil : slot)
        default: break
        }
        _ = nonsense("the ledger's")
        if !budgets.isEmpty { try offline() }
        return try local.admit(amount, against: budgets, expires: expires, windows: windows, tokens: tokens, now: now)
    }

    /// A full window's grant, worked out by the same rule as every store's from its sends.
    func full(_ texts: [String], windows: [RateWindow], tokens: Int, now: Double) -> SlotGrant {
        let index = texts.count > 1 ? (Int(texts[1]) ?? 1) - 1 : 0
        let w = windows.indices.contains(index) ? windows[index] : windows[0]
        var sends: [(at: Double, tokens: Int)] = []
        var i = 2
        while i + 1 < texts.count {
            if let at = Self.time(texts[i]) { sends.append((at, Self.count(texts[i + 1]))) }
            i += 2
        }
        return RateRule.check(w, sends: sends, tokens: tokens, now: now)
            ?? .full(window: w, readyAt: now + w.limit.per, why: "\(w.key) is at its limit")
    }

    public func reserve(_ amount: Double, against budgets: [BudgetConfig], expires: Double, now: Double) throws(StateFailure) -> BudgetReservation {
        let (r, _) = try admit(amount, against: budgets, expires: expires, windows: [], tokens: 0, now: now)
        return r ?? .reserved(id: 0)
    }

    public func takeSlot(_ windows: [RateWindow], tokens: Int, now: Double) throws(StateFailure) -> SlotGrant {
        let (_, s) = try admit(0, against: [], expires: 0, windows: windows, tokens: tokens, now: now)
        return s ?? .granted(id: 0)
    }

    public func check(_ windows: [RateWindow], tokens: Int, now: Double) throws(StateFailure) -> SlotGrant? {
        guard let reply = run(RedisScripts.ledger, ledgerArgs("check", now: now, tokens: tokens, windows: windows)),
              case .array(let items) = reply, let head = items.first?.text else {
            return try local.check(windows, tokens: tokens, now: now)
        }
        return head == "full" ? full(items.map { $0.text ?? "" }, windows: windows, tokens: tokens, now: now) : nil
    }

    public func settle(reservation: Int64?, cost: Double, slot: Int64?, tokens: Int?, now: Double) throws(StateFailure) {
        guard reservation != nil || (slot != nil && tokens != nil) else { return }
        var args = ledgerArgs("settle", now: now)
        args += [reservation.map(String.init) ?? "", Self.number(cost.isFinite ? max(0, cost) : 0),
                 tokens == nil ? "" : slot.map(String.init) ?? "", String(max(0, tokens ?? 0))]
        guard run(RedisScripts.ledger, args) != nil else {
            return try local.settle(reservation: reservation, cost: cost, slot: slot, tokens: tokens, now: now)
        }
    }

    public func settle(_ id: Int64, cost: Double, now: Double) throws(StateFailure) {
        try settle(reservation: id, cost: cost, slot: nil, tokens: nil, now: now)
    }

    public func correct(_ id: Int64, tokens: Int) throws(StateFailure) {
        try settle(reservation: nil, cost: 0, slot: id, tokens: tokens, now: 0)
    }

    public func usage(of budgets: [BudgetConfig], now: Double) throws(StateFailure) -> [BudgetUsage] {
        guard !budgets.isEmpty else { return [] }
        guard let reply = run(RedisScripts.ledger, ledgerArgs("usage", now: now, budgets: budgets)),
              case .array(let items) = reply, items.count == budgets.count * 3 else {
            try offline()
            return try local.usage(of: budgets, now: now)
        }
        let t = items.map { $0.text ?? "" }
        return budgets.enumerated().map { i, b in
            // A value no ledger of ours holds counts as the whole budget: nothing is sent past it unread.
            let spent = Self.amount(t[i * 3]) ?? b.usd
            let reserved = Self.amount(t[i * 3 + 1]) ?? b.usd
            return BudgetUsage(budget: b, spent: spent, reserved: reserved, nextRelease: Self.time(t[i * 3 + 2]).map { $0 + b.per })
        }
    }

    public func use(of windows: [RateWindow], now: Double) throws(StateFailure) -> [WindowUse] {
        guard !windows.isEmpty else { return [] }
        guard let reply = run(RedisScripts.ledger, ledgerArgs("use", now: now, windows: windows)),
              case .array(let items) = reply, items.count == windows.count * 2 else {
            return try local.use(of: windows, now: now)
        }
        let t = items.map { $0.text ?? "" }
        return windows.enumerated().map { i, w in
            WindowUse(window: w, requests: Int(t[i * 2]) ?? 0, tokens: Self.count(t[i * 2 + 1]))
        }
    }
}

// MARK: - What stays on this machine

extension SharedState {
    public func firstTokenP95(providers: [String]) throws(StateFailure) -> [String: Double] { try local.firstTokenP95(providers: providers) }
    public func medianFirstToken(of labels: [String]) throws(StateFailure) -> [String: Double] { try local.medianFirstToken(of: labels) }
    public func hedgeShare(route: String?, since: Double) throws(StateFailure) -> Double { try local.hedgeShare(route: route, since: since) }
    public func latencyP50(providers: [String]) throws(StateFailure) -> [String: Int] { try local.latencyP50(providers: providers) }
    public func stats(from: Double, to: Double, route: String?, bench: Bool) throws(StateFailure) -> [StatsFigures] {
        try local.stats(from: from, to: to, route: route, bench: bench)
    }
    public func prune(before: Double) throws(StateFailure) -> Int { try local.prune(before: before) }
    public func session(_ name: String) throws(StateFailure) -> (system: String?, turns: [SavedTurn], takenBackUSD: Double)? {
        try local.session(name)
    }
    public func deleteTurn(session name: String, turn: Int) throws(StateFailure) { try local.deleteTurn(session: name, turn: turn) }
    public func claimSession(_ name: String, at time: Double) throws(StateFailure) -> Bool { try local.claimSession(name, at: time) }
    public func sessions() throws(StateFailure) -> [SessionSummary] { try local.sessions() }
    public func renameSession(_ old: String, to new: String) throws(StateFailure) -> Bool { try local.renameSession(old, to: new) }
}

// MARK: - The response cache (shared with `cache.shared`, else this machine's)

extension SharedState {
    static let cacheKeep = """
        local k = ARGV[1] .. ':cache:' .. ARGV[2]
        redis.call('DEL', k)
        redis.call('HSET', k, 'request', ARGV[3], 'answer', ARGV[4], 'provider', ARGV[5], 'model', ARGV[6], 'model_id', ARGV[7],
                   'input', ARGV[8], 'output', ARGV[9], 'stored_at', ARGV[10])
        redis.call('EXPIRE', k, 35 * 86400)
        redis.call('ZADD', ARGV[1] .. ':cacheidx', ARGV[10], ARGV[2])
        redis.call('EXPIRE', ARGV[1] .. ':cacheidx', 35 * 86400)
        return 1
        """

    /// Every entry's stored time, size and whether it outlived `ttl`; entries gone from Redis leave the index.
    static let cacheStatsScript = """
        local idx = ARGV[1] .. ':cacheidx'
        local limit = tonumber(ARGV[2])
        local rows = redis.call('ZRANGE', idx, 0, -1, 'WITHSCORES')
        local n, bytes, expired, oldest, newest = 0, 0, 0, '', ''
        for i = 1, #rows, 2 do
          local k = ARGV[1] .. ':cache:' .. rows[i]
          if redis.call('EXISTS', k) == 1 then
            n = n + 1
            bytes = bytes + redis.call('HSTRLEN', k, 'request') + redis.call('HSTRLEN', k, 'answer')
            if tonumber(rows[i + 1]) <= limit then expired = expired + 1 end
            if oldest == '' then oldest = rows[i + 1] end
            newest = rows[i + 1]
          else
            redis.call('ZREM', idx, rows[i])
          end
        end
        return {tostring(n), tostring(bytes), tostring(expired), oldest, newest}
        """

    static let cacheListScript = """
        local out = {}
        for _, h in ipairs(redis.call('ZREVRANGE', ARGV[1] .. ':cacheidx', 0, tonumber(ARGV[2]) - 1)) do
          local v = redis.call('HMGET', ARGV[1] .. ':cache:' .. h, 'request', 'answer', 'provider', 'model', 'model_id', 'input', 'output', 'stored_at')
          if v[1] then out[#out + 1] = v end
        end
        return out
        """

    static let cacheDropScript = """
        local idx = ARGV[1] .. ':cacheidx'
        local hs = ARGV[2] == '' and redis.call('ZRANGE', idx, 0, -1) or redis.call('ZRANGEBYSCORE', idx, '-inf', '(' .. ARGV[2])
        local n = 0
        for _, h in ipairs(hs) do
          n = n + redis.call('DEL', ARGV[1] .. ':cache:' .. h)
          redis.call('ZREM', idx, h)
        end
        return n
        """

    static func answer(_ fields: [String?]) -> CachedAnswer? {
        guard fields.count >= 8, let text = fields[1], let provider = fields[2], let model = fields[3], let modelID = fields[4],
              let at = fields[7].flatMap(Double.init), at.isFinite else { return nil }
        let input = fields[5].flatMap { Int($0) }, output = fields[6].flatMap { Int($0) }
        let usage = input != nil || output != nil ? Usage(inputTokens: input ?? 0, outputTokens: output ?? 0) : nil
        return CachedAnswer(text: text, provider: provider, model: model, modelID: modelID, usage: usage, storedAt: at)
    }

    public func cached(_ key: CacheKey, now: Double, ttl: Double) throws(StateFailure) -> CachedAnswer? {
        guard sharedCache else { return try local.cached(key, now: now, ttl: ttl) }
        let get = "return redis.call('HMGET', ARGV[1] .. ':cache:' .. ARGV[2], 'request', 'answer', 'provider', 'model', 'model_id', 'input', 'output', 'stored_at')"
        guard let reply = run(get, [namespace, String(key.hash)]) else { return try local.cached(key, now: now, ttl: ttl) }
        guard case .array(let items) = reply else {
            _ = nonsense("a cache entry")
            return try local.cached(key, now: now, ttl: ttl)
        }
        let fields = items.map(\.text)
        guard fields.first.flatMap({ $0 }) == key.text, let answer = Self.answer(fields), answer.storedAt > now - ttl else { return nil }
        return answer
    }

    public func keep(_ key: CacheKey, _ answer: CachedAnswer) throws(StateFailure) {
        guard sharedCache else { return try local.keep(key, answer) }
        let args = [namespace, String(key.hash), key.text, answer.text, answer.provider, answer.model, answer.modelID,
                    answer.usage.map { String($0.inputTokens) } ?? "", answer.usage.map { String($0.outputTokens) } ?? "", Self.number(answer.storedAt)]
        if run(Self.cacheKeep, args) == nil { try local.keep(key, answer) }
    }

    public func cacheStats(now: Double, ttl: Double) throws(StateFailure) -> CacheStats {
        guard sharedCache, let reply = run(Self.cacheStatsScript, [namespace, Self.number(now - ttl)]),
              case .array(let items) = reply, items.count == 5 else { return try local.cacheStats(now: now, ttl: ttl) }
        let t = items.map { $0.text ?? "" }
        var s = CacheStats()
        s.entries = Int(t[0]) ?? 0
        s.bytes = Int(t[1]) ?? 0
        s.expired = Int(t[2]) ?? 0
        s.oldest = Self.time(t[3])
        s.newest = Self.time(t[4])
        return s
    }

    public func cacheEntries(limit: Int) throws(StateFailure) -> [CacheEntrySummary] {
        guard sharedCache, let reply = run(Self.cacheListScript, [namespace, String(max(0, limit))]),
              case .array(let rows) = reply else { return try local.cacheEntries(limit: limit) }
        return rows.compactMap { row in
            guard case .array(let items) = row else { return nil }
            let fields = items.map(\.text)
            guard let text = fields.first.flatMap({ $0 }), let answer = Self.answer(fields) else { return nil }
            return CacheEntrySummary(key: CacheKey(canonical: text), answer: answer)
        }
    }

    public func dropCache(before: Double?) throws(StateFailure) -> Int {
        guard sharedCache else { return try local.dropCache(before: before) }
        guard case .integer(let n)? = run(Self.cacheDropScript, [namespace, before.map(Self.number) ?? ""]) else {
            return try local.dropCache(before: before)
        }
        return Int(n)
    }
}
