import Foundation
import RouterCore
import StateStore
import RedisStore
import TestSupport
import Testing
@testable import Engine

/// The same cases against every implementation of the state ports: what one
/// store does, the other must do too.
@Suite struct StorePortConformanceTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, memory, redis
        var testDescription: String { rawValue }
    }

    /// The Redis server of these tests (redis-server, started once for the suite).
    static let redis: RedisServer? = try? RedisServer()

    /// A fresh store, and a second handle on the same state (another process, for SQLite).
    func stores(_ kind: Kind) throws -> (any StateBackend, any StateBackend) {
        switch kind {
        case .redis:
            // Two processes of one machine, each with its own connection; every test in a namespace of its own.
            let server = try #require(Self.redis, "redis-server is needed (Debian's redis-server; make test installs it)")
            let dir = NSTemporaryDirectory() + "llmr-ports-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let url = try RedisURL.parse(server.url).get()
            let namespace = "t-\(UUID().uuidString)"
            func open() throws -> SharedState {
                let s = SharedState(local: try AttemptLog(path: dir + "/state.sqlite"), url: url, namespace: namespace, timeout: 2,
                                    budgetsOffline: .refuse, sharedCache: true, warn: { Issue.record("Redis failed: \($0)") })
                #expect(s.unavailable == nil)
                return s
            }
            return (try open(), try open())
        case .memory:
            let s = InMemoryState()
            return (s, s)
        case .sqlite:
            let dir = NSTemporaryDirectory() + "llmr-ports-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return (try AttemptLog(path: dir + "/state.sqlite"), try AttemptLog(path: dir + "/state.sqlite"))
        }
    }

    let breaker = Breaker(config: BreakerConfig(failures: 5, window: 60, openFor: 300))

    func result(_ outcome: Outcome, status: Int? = nil, retryAfter: Double? = nil, model: String = "m") -> RouteResult {
        var a = AttemptRecord(provider: "p", model: model, modelID: model, tier: .primary, outcome: outcome, status: status,
                              latencyMs: 10, retryAfterS: retryAfter)
        a.costUSD = outcome == .ok ? 0.001 : nil
        var r = RouteResult(route: "default", attempts: [a])
        if outcome == .ok {
            r.pieces = ["an answer"]
            r.provider = "p"
            r.model = model
            r.costUSD = 0.001
        } else {
            r.failure = RouteFailure(kind: .exhausted, message: "failed")
        }
        return r
    }

    @Test(arguments: Kind.allCases)
    func theFailureWindowSlides(_ kind: Kind) throws {
        let (store, _) = try stores(kind)
        // Failures at 0, 10, 20, 30 and 61: at 61 the one at 0 has left the window.
        for t in [0.0, 10, 20, 30, 61] {
            try store.record(result(.http(500), status: 500), requestID: "r\(t)", at: 1000 + t, breaker: breaker, content: nil)
        }
        #expect(try store.snapshot(providers: ["p"], now: 1061).breakers["p/m"] == nil)
        // A fifth within the window opens the model's breaker, not the provider's.
        try store.record(result(.http(500), status: 500), requestID: "r62", at: 1062, breaker: breaker, content: nil)
        let health = try store.snapshot(providers: ["p"], now: 1062)
        #expect(breaker.view(health.breakers["p/m"], now: 1062) == .open(until: 1362))
        #expect(health.breakers["p"] == nil)
    }

    @Test(arguments: Kind.allCases)
    func exactlyOneProbeThenItsVerdict(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        for i in 0..<5 { try store.record(result(.connect), requestID: "r\(i)", at: 1000, breaker: breaker, content: nil) }
        #expect(!store.claimProbe(provider: "p", now: 1100)) // still open
        #expect(store.claimProbe(provider: "p", now: 1300))
        #expect(!other.claimProbe(provider: "p", now: 1301))
        // The probe answered: the breaker closes, for everyone.
        try store.record(result(.ok), requestID: "probe", at: 1302, breaker: breaker, content: nil)
        #expect(breaker.view(try other.snapshot(providers: ["p"], now: 1303).breakers["p"], now: 1303) == .closed)
    }

    @Test(arguments: Kind.allCases)
    func retryAfterHoldsTheModelBackAndResetClearsIt(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        try store.record(result(.http(429), status: 429, retryAfter: 30), requestID: "r", at: 1000, breaker: breaker, content: nil)
        #expect(try other.snapshot(providers: ["p"], now: 1001).cooldowns == ["p/m": 1030])
        #expect(try other.snapshot(providers: ["p"], now: 1031).cooldowns.isEmpty)
        try store.record(result(.http(429), status: 429, retryAfter: 30), requestID: "r2", at: 1040, breaker: breaker, content: nil)
        try other.reset(providers: ["p"])
        #expect(try store.snapshot(providers: ["p"], now: 1041).cooldowns.isEmpty)
    }

    @Test(arguments: Kind.allCases)
    func rateWindowsCountEveryProcessAndNeverPassTheirLimit(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        let provider = RateWindow(key: "p", limit: RateLimit(requests: 3, per: 60))
        let model = RateWindow(key: "p/m", limit: RateLimit(tokens: 1000, per: 60))
        var ids: [Int64] = []
        for i in 0..<3 {
            guard case .granted(let id) = try (i % 2 == 0 ? store : other).takeSlot([provider, model], tokens: 100, now: 10 + Double(i))
            else { Issue.record("slot \(i) refused"); return }
            ids.append(id)
        }
        guard case .full(let w, let readyAt, _) = try other.takeSlot([model, provider], tokens: 100, now: 20) else {
            Issue.record("a fourth request fit in three"); return
        }
        #expect(w.key == "p" && readyAt == 70)
        // The refused request was counted nowhere.
        #expect(try store.use(of: [model], now: 20).first?.requests == 3)
        // Tokens corrected to the real usage; the window slides.
        try store.correct(ids[0], tokens: 900)
        #expect(try other.use(of: [model], now: 20).first?.tokens == 1100)
        guard case .full(_, let tokensReady, _) = try store.takeSlot([model], tokens: 1, now: 20) else { Issue.record("over 1000 tokens"); return }
        #expect(tokensReady == 70)
        guard case .granted = try store.takeSlot([provider, model], tokens: 100, now: 70.5) else { Issue.record("the window did not slide"); return }
    }

    @Test(arguments: Kind.allCases)
    func aReservationAndASlotAreTakenTogetherOrNotAtAll(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        let budget = BudgetConfig(name: "b", usd: 1, per: 3600)
        let window = RateWindow(key: "p", limit: RateLimit(requests: 1, per: 60))
        let (r1, s1) = try store.admit(0.1, against: [budget], expires: 200, windows: [window], tokens: 10, now: 100)
        guard case .reserved(let id)? = r1, case .granted(let slot)? = s1 else { Issue.record("\(String(describing: r1)) \(String(describing: s1))"); return }
        // The window is full: nothing is reserved for the refused request.
        let (r2, s2) = try other.admit(0.1, against: [budget], expires: 200, windows: [window], tokens: 10, now: 101)
        #expect(r2 == nil)
        guard case .full? = s2 else { Issue.record("the window took two"); return }
        #expect(abs(try store.usage(of: budget, now: 101).reserved - 0.1) < 1e-12)
        try other.settle(reservation: id, cost: 0.04, slot: slot, tokens: 99, now: 102)
        #expect(abs(try store.usage(of: budget, now: 102).spent - 0.04) < 1e-12)
        #expect(try store.use(of: [window], now: 102).first?.tokens == 99)
    }

    @Test(arguments: Kind.allCases)
    func theCacheKeepsReplacesExpiresAndDrops(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        let key = CacheKey(selection: "route:default", request: ChatRequest(messages: [Message(role: .user, content: "hi")]), seed: nil)
        let elsewhere = CacheKey(selection: "route:other", request: ChatRequest(messages: [Message(role: .user, content: "hi")]), seed: nil)
        #expect(try store.cached(key, now: 100, ttl: 60) == nil)
        try store.keep(key, CachedAnswer(text: "first", provider: "p", model: "m", modelID: "m-1", usage: Usage(inputTokens: 3, outputTokens: 2), storedAt: 100))
        try other.keep(key, CachedAnswer(text: "second", provider: "p", model: "m", modelID: "m-1", usage: nil, storedAt: 110))
        #expect(try store.cached(key, now: 120, ttl: 60)?.text == "second")
        #expect(try store.cached(elsewhere, now: 120, ttl: 60) == nil)
        // Past its TTL an entry is a miss, and counted as expired.
        #expect(try other.cached(key, now: 171, ttl: 60) == nil)
        let stats = try store.cacheStats(now: 171, ttl: 60)
        #expect(stats.entries == 1 && stats.expired == 1 && stats.bytes > 0)
        try store.keep(elsewhere, CachedAnswer(text: "third", provider: "q", model: "n", modelID: "n", usage: nil, storedAt: 200))
        #expect(try other.cacheEntries(limit: 10).map(\.answer.text) == ["third", "second"])
        #expect(try store.dropCache(before: 150) == 1)
        #expect(try other.dropCache(before: nil) == 1)
        #expect(try store.cacheStats(now: 300, ttl: 60).entries == 0)
    }

    @Test(arguments: Kind.allCases)
    func budgetsReserveSettleLapseAndRoll(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        let daily = BudgetConfig(name: "daily", usd: 0.05, per: 3600)
        let team = BudgetConfig(name: "team", usd: 1, per: 3600, scope: .tag("t"))
        // Four reservations of $0.01 and one settled at $0.01 fill $0.05; the sixth is refused, whole.
        var ids: [Int64] = []
        for i in 0..<5 {
            guard case .reserved(let id) = try (i % 2 == 0 ? store : other).reserve(0.01, against: [daily, team], expires: 200, now: 100)
            else { Issue.record("reservation \(i) refused"); return }
            ids.append(id)
        }
        #expect(Set(ids).count == 5)
        guard case .over(let u) = try other.reserve(0.01, against: [team, daily], expires: 200, now: 100) else {
            Issue.record("a sixth $0.01 fit in $0.05"); return
        }
        #expect(u.budget.name == "daily")
        #expect(u.left < 1e-9)
        #expect(BudgetText.over(u) == "over budget 'daily': $0.00 of $0.05 left in this 1h")
        // Nothing of the refused reservation was written to 'team'.
        #expect(abs(try store.usage(of: team, now: 100).reserved - 0.05) < 1e-12)
        // Settled for less, the rest is free again.
        try store.settle(ids[0], cost: 0.002, now: 101)
        let settled = try other.usage(of: daily, now: 101)
        #expect(abs(settled.spent - 0.002) < 1e-12)
        #expect(abs(settled.reserved - 0.04) < 1e-12)
        #expect(settled.nextRelease == 3700)
        // A reservation never settled (its process died) lapses at its expiry.
        let lapsed = try store.usage(of: daily, now: 200)
        #expect(lapsed.reserved == 0)
        #expect(abs(lapsed.spent - 0.002) < 1e-12)
        // A spend older than the window leaves it.
        #expect(try store.usage(of: daily, now: 3701).spent == 0)
        #expect(try other.usage(of: [daily, team], now: 3701).map(\.left) == [0.05, 1])
    }

    @Test(arguments: Kind.allCases)
    func anAnswerTakenBackStillCountsInTheSessionsCost(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        #expect(try store.recordTurn(session: "a", system: nil, user: "one", result: result(.ok), requestID: "1", at: 10, breaker: nil) == 1)
        // /retry twice: turn 2 is answered, taken back, answered again, taken back, answered a third time.
        for i in 0..<3 {
            #expect(try store.recordTurn(session: "a", system: nil, user: "two", result: result(.ok), requestID: "r\(i)", at: 11 + Double(i),
                                         breaker: nil) == 2)
            if i < 2 { try store.deleteTurn(session: "a", turn: 2) }
        }
        let saved = try #require(try other.session("a"))
        #expect(saved.turns.map(\.turn) == [1, 2])
        #expect(abs(saved.takenBackUSD - 0.002) < 1e-12)
        let summary = try #require(try other.sessions().first)
        #expect(summary.turns == 2)
        // What /cost says for the session: every answer paid for, the replaced ones too.
        #expect(abs(summary.costUSD - 0.004) < 1e-12)
    }

    @Test(arguments: Kind.allCases)
    func sessionsNumberTurnsAndRefuseATakenName(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        #expect(try store.recordTurn(session: "a", system: "be brief", user: "one", result: result(.ok), requestID: "1", at: 10, breaker: nil) == 1)
        #expect(try other.recordTurn(session: "a", system: "be brief", user: "two", result: result(.ok), requestID: "2", at: 11, breaker: nil) == 2)
        // A failed turn records its attempts but is no turn.
        #expect(try store.recordTurn(session: "a", system: nil, user: "three", result: result(.http(500), status: 500), requestID: "3",
                                     at: 12, breaker: nil) == nil)
        #expect(try store.recordTurn(session: "b", system: nil, user: "x", result: result(.ok), requestID: "4", at: 13, breaker: nil) == 1)
        #expect(try other.sessions().map(\.name) == ["b", "a"])
        #expect(try other.session("a")?.turns.map(\.user) == ["one", "two"])
        #expect(try other.session("a")?.system == "be brief")
        try store.deleteTurn(session: "a", turn: 2)
        #expect(try other.session("a")?.turns.map(\.turn) == [1])
        #expect(throws: StateFailure.self) { try store.renameSession("a", to: "b") }
        #expect(try store.renameSession("nope", to: "c") == false)
        #expect(try store.renameSession("a", to: "c"))
        #expect(try other.session("c")?.turns.count == 1)
        #expect(try other.session("a") == nil)
    }

    @Test(arguments: Kind.allCases)
    func aNameIsClaimedOnceAndABareClaimIsNoConversation(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        #expect(try store.claimSession("chat-1", at: 10))
        #expect(try !other.claimSession("chat-1", at: 10))
        #expect(try other.sessions().isEmpty)
        #expect(try other.recordTurn(session: "chat-1", system: nil, user: "u", result: result(.ok), requestID: "1", at: 11, breaker: nil) == 1)
        #expect(try store.sessions().map(\.name) == ["chat-1"])
        #expect(try !store.claimSession("chat-1", at: 12))
    }

    /// Two turns of one session sent at once: numbered in the order they were
    /// saved, and stamped so that time never runs backwards along the numbers.
    @Test(arguments: Kind.allCases)
    func turnTimesFollowTheirNumbers(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        try store.recordTurn(session: "s", system: nil, user: "slow", result: result(.ok), requestID: "1", at: 20, breaker: nil)
        try other.recordTurn(session: "s", system: nil, user: "sent first, saved last", result: result(.ok), requestID: "2", at: 15, breaker: nil)
        let turns = try #require(try store.session("s")?.turns)
        #expect(turns.map(\.turn) == [1, 2])
        #expect(turns.map(\.at) == [20, 20])
    }

    @Test(arguments: Kind.allCases)
    func historyFiguresCountWhatWasRecorded(_ kind: Kind) throws {
        let (store, other) = try stores(kind)
        for i in 0..<3 { try store.record(result(.ok), requestID: "ok\(i)", at: 100 + Double(i), breaker: nil, content: nil) }
        try store.record(result(.http(500), status: 500), requestID: "bad", at: 104, breaker: nil, content: nil)
        let figures = try other.stats(from: 0, to: 200, route: nil, bench: false)
        #expect(figures.count == 1)
        #expect(figures.first?.requests == 4)
        #expect(figures.first?.errorRate == 0.25)
        #expect(try other.latencyP50(providers: ["p"]) == ["p": 10])
        #expect(try other.hedgeShare(route: "default", since: 0) == 0)
        #expect(try store.prune(before: 102) == 2)
        #expect(try other.stats(from: 0, to: 200, route: nil, bench: false).first?.requests == 2)
    }
}
