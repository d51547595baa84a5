import Testing
import Foundation
import Dispatch
@testable import RouterCore
@testable import StateStore

@Suite struct AttemptLogTests {
    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "llmr-state-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func result(_ outcomes: [Outcome]) -> RouteResult {
        let attempts = outcomes.map {
            AttemptRecord(provider: "p", model: "m", modelID: "m-1", tier: .primary, outcome: $0, status: $0 == .ok ? 200 : 503,
                          latencyMs: 12, ttftMs: 3, usage: $0 == .ok ? Usage(inputTokens: 1_000_000, outputTokens: 500_000) : nil)
        }
        return RouteResult(route: "default", pieces: ["x"], provider: "p", model: "m", modelID: "m-1", usage: nil, costUSD: nil,
                           latencyMs: 20, ttftMs: 3, fallback: outcomes.count > 1, attempts: attempts, failure: nil, brokenOff: false, continued: false)
    }

    @Test func recordsEveryAttemptWithItsCost() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try AttemptLog(path: dir + "/state.sqlite")
        var r = result([.http(503), .ok])
        // Each attempt's cost is the router's; the store keeps it as it is.
        r.attempts[0].costUSD = 0.000_25
        r.attempts[1].costUSD = 0.001_5
        try log.record(r, requestID: "r1", at: 1_700_000_000)
        #expect(try log.outcomes() == ["http_503", "ok"])
        #expect(try log.integer("SELECT CAST(round(cost_usd * 1e9) AS INTEGER) FROM attempts ORDER BY id") == 250_000)
        #expect(try log.integer("SELECT CAST(round(sum(cost_usd) * 1e9) AS INTEGER) FROM attempts") == 1_750_000)
        #expect(AttemptLog.headerShowsSchema(dir + "/state.sqlite"))
    }

    /// Each answer moves its breaker on after counting the failures in the
    /// breaker's window. Counted through an index of failures alone, the cost
    /// does not grow with the answers in the window (a gateway at 1,000
    /// requests/s has 60,000 of them in a 60 s window).
    @Test func theFailureCountsReadOnlyFailures() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try AttemptLog(path: dir + "/state.sqlite")
        for sql in [AttemptLog.providerFailuresSQL, AttemptLog.modelFailuresSQL] {
            var plan: [String] = []
            try log.queue.read { db in try db.each(sql: "EXPLAIN QUERY PLAN " + sql) { plan.append($0.string(3)) } }
            #expect(plan.contains { $0.contains("USING INDEX attempts_failures") || $0.contains("USING COVERING INDEX attempts_failures") }, "\(plan)")
        }
        // And they count what they did before.
        let breaker = Breaker(config: BreakerConfig())
        for i in 0..<4 { try log.record(result([.http(503)]), requestID: "f\(i)", at: 1000 + Double(i), breaker: breaker) }
        for i in 0..<50 { try log.record(result([.ok]), requestID: "ok\(i)", at: 1010 + Double(i) / 10, breaker: breaker) }
        #expect(try log.integer("SELECT count(*) FROM attempts WHERE failure = 1") == 4)
        try log.record(result([.http(503)]), requestID: "f5", at: 1020, breaker: breaker)
        let health = try log.snapshot(providers: ["p"], now: 1020)
        #expect(health.breakers.values.contains { $0.state == .open }, "\(health)")
    }

    @Test func theWALStaysShortAcrossManyProcesses() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/state.sqlite"
        for i in 0..<300 {
            // A fresh log each time, as each llmr process opens its own.
            let log = try AttemptLog(path: path)
            try log.record(result([.ok]), requestID: "r\(i)", at: Double(i))
        }
        let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? Int.max
        #expect(wal <= AttemptLog.walLimit + 64 * 1024)
        #expect(try AttemptLog(path: path).count() == 300)
    }

    @Test func aPathThatCannotBeADatabaseFailsWithAReason() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "not sqlite at all, just text that is long enough to fill a header ......................................"
            .write(toFile: dir + "/state.sqlite", atomically: true, encoding: .utf8)
        do {
            let log = try AttemptLog(path: dir + "/state.sqlite")
            try log.record(result([.ok]), requestID: "r", at: 0)
            Issue.record("a text file must not pass for a database")
        } catch {
            #expect(error.reason.contains("not a usable SQLite database"))
        }
    }
}

@Suite struct HealthStoreTests {
    let breaker = Breaker(config: BreakerConfig(failures: 5, window: 60, openFor: 300))

    func tempPath() throws -> String {
        let dir = NSTemporaryDirectory() + "llmr-health-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/state.sqlite"
    }

    func result(_ outcome: Outcome, status: Int? = nil, retryAfter: Double? = nil) -> RouteResult {
        RouteResult(route: "r", pieces: nil, provider: nil, model: nil, modelID: nil, usage: nil, costUSD: nil, latencyMs: 1, ttftMs: nil,
                    fallback: false, attempts: [AttemptRecord(provider: "p", model: "m", modelID: "m", tier: .primary, outcome: outcome,
                                                              status: status, retryAfterS: retryAfter)],
                    failure: nil, brokenOff: false, continued: false)
    }

    @Test func fiveFailuresFromFiveProcessesOpenTheModelsBreaker() throws {
        let path = try tempPath()
        for i in 0..<5 {
            let log = try AttemptLog(path: path)
            #expect(breaker.view(try log.snapshot(providers: ["p"], now: Double(1000 + i)).breakers["p/m"], now: Double(1000 + i)) == .closed)
            try log.record(result(.http(503), status: 503), requestID: "r\(i)", at: Double(1000 + i), breaker: breaker)
        }
        let health = try AttemptLog(path: path).snapshot(providers: ["p"], now: 1005)
        #expect(breaker.view(health.breakers["p/m"], now: 1005) == .open(until: 1304))
        // An HTTP error is the model's: the provider's breaker, and so its other models, stay closed.
        #expect(breaker.view(health.breakers["p"], now: 1005) == .closed)
    }

    @Test func fiveTransportFailuresOpenTheProvidersBreaker() throws {
        let path = try tempPath()
        for i in 0..<5 {
            try AttemptLog(path: path).record(result(.connect), requestID: "r\(i)", at: Double(1000 + i), breaker: breaker)
        }
        let health = try AttemptLog(path: path).snapshot(providers: ["p"], now: 1005)
        #expect(breaker.view(health.breakers["p"], now: 1005) == .open(until: 1304))
        #expect(health.breakers["p/m"] == nil)
    }

    @Test func resettingAProviderClosesItsModelsBreakersToo() throws {
        let path = try tempPath()
        let log = try AttemptLog(path: path)
        for i in 0..<5 { try log.record(result(.http(500), status: 500), requestID: "r\(i)", at: 1000, breaker: breaker) }
        try log.record(result(.http(429), status: 429, retryAfter: 60), requestID: "rl", at: 1000, breaker: breaker)
        #expect(try !log.snapshot(providers: ["p"], now: 1001).breakers.isEmpty)
        try log.reset(providers: ["p"])
        let health = try log.snapshot(providers: ["p"], now: 1001)
        #expect(health.breakers.isEmpty && health.cooldowns.isEmpty)
    }

    @Test func exactlyOneOfManyClaimsTheProbe() throws {
        let path = try tempPath()
        let first = try AttemptLog(path: path)
        for i in 0..<5 {
            try first.record(result(.connect), requestID: "r\(i)", at: 1000, breaker: breaker)
        }
        let logs = try (0..<16).map { _ in try AttemptLog(path: path) }
        nonisolated(unsafe) var wins = [Bool](repeating: false, count: logs.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: logs.count) { i in
            let won = logs[i].claimProbe(provider: "p", now: 1300)
            lock.lock()
            wins[i] = won
            lock.unlock()
        }
        #expect(wins.filter { $0 }.count == 1)
        #expect(!logs[0].claimProbe(provider: "p", now: 1310) || wins[0])
    }

    @Test func retryAfterSetsASharedCooldown() throws {
        let path = try tempPath()
        try AttemptLog(path: path).record(result(.http(429), status: 429, retryAfter: 30), requestID: "r", at: 1000, breaker: breaker)
        let health = try AttemptLog(path: path).snapshot(providers: ["p"], now: 1001)
        #expect(health.cooldowns["p/m"] == 1030)
        #expect(try AttemptLog(path: path).snapshot(providers: ["p"], now: 1031).cooldowns.isEmpty)
    }

    @Test func resetClosesBreakersAndClearsCooldowns() throws {
        let path = try tempPath()
        let log = try AttemptLog(path: path)
        for i in 0..<5 { try log.record(result(.http(500), status: 500), requestID: "r\(i)", at: 1000, breaker: breaker) }
        try log.record(result(.http(429), status: 429, retryAfter: 60), requestID: "x", at: 1000, breaker: breaker)
        // Both are there before the reset, or the test would prove nothing.
        let before = try log.snapshot(providers: ["p"], now: 1001)
        #expect(breaker.view(before.breakers["p/m"], now: 1001) == .open(until: 1300))
        #expect(before.cooldowns["p/m"] == 1060)
        try log.reset(providers: [])
        let health = try log.snapshot(providers: ["p"], now: 1001)
        #expect(health.breakers.isEmpty && health.cooldowns.isEmpty)
    }
}

@Suite struct StatsScanTests {
    @Test func aSplitScanGivesTheSameFiguresAsOnePass() throws {
        let dir = NSTemporaryDirectory() + "llmr-stats-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try AttemptLog(path: dir + "/state.sqlite")
        try log.queue.write { db in
            for i in 0..<3000 {
                let outcome = ["ok", "ok", "ok", "http_503", "hedge_lost"][i % 5]
                try db.execute(sql: """
                    INSERT INTO attempts (request_id, at, route, provider, model, model_id, tier, outcome, latency_ms, ttft_ms,
                      cost_usd, fallback, hedge)
                    VALUES (?, ?, 'default', ?, ?, 'x', 'primary', ?, ?, ?, ?, ?, ?)
                    """, arguments: ["r\(i)", Double(1000 + i), "p\(i % 3)", "m\(i % 2)", outcome, (i * 37) % 1000,
                                     i % 7 == 0 ? nil : i % 100, i % 4 == 0 ? nil : 0.001 * Double(i % 9), i % 11 == 0 ? 1 : 0, i % 13 == 0 ? 1 : 0])
            }
        }
        let one = try log.stats(from: 0, to: 10_000, route: nil, splitAbove: 1_000_000)
        let split = try log.stats(from: 0, to: 10_000, route: nil, splitAbove: 1000)
        #expect(one.count == 6)
        #expect(one.map(\.requests) == split.map(\.requests))
        #expect(one.map(\.p50LatencyMs) == split.map(\.p50LatencyMs))
        #expect(one.map(\.p99LatencyMs) == split.map(\.p99LatencyMs))
        #expect(one.map(\.p50TTFTMs) == split.map(\.p50TTFTMs))
        #expect(one.map(\.errorRate) == split.map(\.errorRate))
        #expect(one.map(\.fallbackRate) == split.map(\.fallbackRate))
        #expect(one.map(\.hedgeRate) == split.map(\.hedgeRate))
        #expect(zip(one, split).allSatisfy { abs($0.totalCost - $1.totalCost) < 1e-9 })
        #expect(one.reduce(0) { $0 + $1.requests } == 3000)
    }
}

@Suite struct DamagedSessionTests {
    /// A turn number no next one can follow (a damaged or hand-edited file):
    /// the next turn is refused with a reason, its attempts are still recorded, nothing traps.
    @Test func aTurnNumberedIntMaxRefusesTheNextTurnButKeepsItsAttempts() throws {
        let dir = NSTemporaryDirectory() + "llmr-maxturn-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try AttemptLog(path: dir + "/state.sqlite")
        try log.execute("""
            INSERT INTO sessions (name, created, updated) VALUES ('s', 1, 1);
            INSERT INTO turns (session, turn, at, user, assistant, attempt_ids) VALUES ('s', 9223372036854775807, 1, 'u', 'a', '');
            """)
        var a = AttemptRecord(provider: "p", model: "m", modelID: "m", tier: .primary, outcome: .ok, status: 200, latencyMs: 5)
        a.costUSD = 0.001
        var r = RouteResult(route: "default", attempts: [a])
        r.pieces = ["answer"]
        do {
            try log.recordTurn(session: "s", system: nil, user: "next", result: r, requestID: "r", at: 2, breaker: nil)
            Issue.record("the turn was numbered past Int.max")
        } catch {
            #expect(error.reason.contains("9223372036854775807"))
            #expect(!error.reason.contains(dir), "the path is said once, not twice")
        }
        #expect(try log.count() == 1)
        #expect(try log.session("s")?.turns.count == 1)
    }
}

@Suite struct PruneTests {
    /// Pruning goes a batch per transaction, deleting exactly what is older
    /// than the cut and keeping the rest, across several batches.
    @Test func pruningInBatchesDeletesExactlyTheOldRows() throws {
        let dir = NSTemporaryDirectory() + "llmr-prune-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try AttemptLog(path: dir + "/state.sqlite")
        // 50,000 old rows (more than two batches) and 7 recent ones.
        try log.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50007)
            INSERT INTO attempts (request_id, at, provider, model, model_id, tier, outcome, latency_ms)
            SELECT 'r' || i, CASE WHEN i <= 50000 THEN 100 ELSE 1000 END, 'p', 'm', 'm', 'primary', 'ok', 1 FROM n;
            """)
        #expect(AttemptLog.pruneBatch < 50_000)
        #expect(try log.prune(before: 500) == 50_000)
        #expect(try log.count() == 7)
        #expect(try log.prune(before: 500) == 0)
    }
}
