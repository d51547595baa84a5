import Testing
import Foundation
@testable import RouterCore
@testable import StateStore

/// Databases written by earlier llmr versions open, keep what they hold and
/// are upgraded. `state-v4.sqlite` was written by llmr 0.x on GRDB (asks with
/// a fallback, a session of two turns, a bench run, an open model breaker and
/// a cooldown, kept contents); `state-v1.sqlite` has the first schema (no
/// failure or hedge columns, no breakers, no sessions).
@Suite struct StateUpgradeTests {
    static let fixtures: String = {
        var path = #filePath
        while let last = path.lastIndex(of: "/"), !path.hasSuffix("/StateStoreTests") { path = String(path[..<last]) }
        return path + "/Fixtures/"
    }()

    func copy(_ name: String) throws -> (dir: String, path: String) {
        let dir = NSTemporaryDirectory() + "llmr-upgrade-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + name, toPath: dir + "/state.sqlite")
        return (dir, dir + "/state.sqlite")
    }

    func answer() -> RouteResult {
        let a = AttemptRecord(provider: "p", model: "m", modelID: "m-1", tier: .primary, outcome: .ok, status: 200,
                              latencyMs: 12, ttftMs: 3, usage: Usage(inputTokens: 10, outputTokens: 5))
        return RouteResult(route: "default", pieces: ["hi"], provider: "p", model: "m", modelID: "m-1", usage: a.usage, costUSD: nil,
                           latencyMs: 12, ttftMs: 3, fallback: false, attempts: [a], failure: nil, brokenOff: false, continued: false)
    }

    @Test func aVersion4DatabaseReadsWhole() throws {
        let (dir, path) = try copy("state-v4.sqlite")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Version 5 added the budgets' ledger: opening the file adds it, and its header then says 5.
        #expect(!AttemptLog.headerShowsSchema(path))
        let log = try AttemptLog(path: path)
        #expect(AttemptLog.headerShowsSchema(path))
        #expect(try log.usage(of: [BudgetConfig(name: "b", usd: 1, per: 60)], now: 0).first?.spent == 0)
        let outcomes = try log.outcomes()
        #expect(outcomes.count == 23)
        #expect(outcomes.filter { $0 == "ok" }.count == 17)
        #expect(try log.integer("SELECT count(*) FROM attempts WHERE failure = 1") == 6)
        #expect(try log.integer("SELECT count(*) FROM attempts WHERE route = '(bench)'") == 3)
        #expect(try log.sessions().map(\.name) == ["trip"])
        #expect(try log.sessions().first?.turns == 2)
        let trip = try #require(try log.session("trip"))
        #expect(trip.turns.map(\.user) == ["first turn", "second turn"])
        #expect(trip.turns.map(\.assistant) == ["Hello from the fake provider.", "Hello from the fake provider."])
        #expect(trip.turns.first?.provider == "up" && trip.turns.first?.costUSD == 0.000019)
        #expect(try log.contents().count == 12)
        #expect(try log.contents().first?.prompt == "user: question 1")
        // The breaker and cooldown rows are there; read as of the moment they were written.
        let health = try log.snapshot(providers: ["flaky", "down"], now: 1_795_580_000)
        #expect(health.breakers["flaky/m"]?.state == .open)
        #expect(health.cooldowns["down/m"] != nil)
        let figures = try log.stats(from: 0, to: 4_000_000_000, route: nil)
        #expect(figures.map(\.provider).sorted() == ["down", "flaky", "up"])
        #expect(figures.first { $0.provider == "up" }?.requests == 14)
        #expect(try log.stats(from: 0, to: 4_000_000_000, route: nil, bench: true).first { $0.provider == "up" }?.requests == 17)
        // And it takes new records.
        try log.recordTurn(session: "trip", system: nil, user: "third turn", result: answer(), requestID: "r-new",
                           at: 1_795_600_000, breaker: nil)
        #expect(try log.session("trip")?.turns.map(\.turn) == [1, 2, 3])
    }

    @Test func aVersion1DatabaseIsUpgraded() throws {
        let (dir, path) = try copy("state-v1.sqlite")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(!AttemptLog.headerShowsSchema(path))
        let log = try AttemptLog(path: path)
        #expect(AttemptLog.headerShowsSchema(path))
        #expect(try log.outcomes() == ["http_503", "ok"])
        #expect(try log.integer("PRAGMA user_version") == AttemptLog.schemaVersion)
        #expect(try log.integer("SELECT count(*) FROM attempts WHERE failure = 0 AND hedge = 0") == 2)
        try log.record(answer(), requestID: "r2", at: 1_700_000_100, breaker: Breaker(config: BreakerConfig()))
        #expect(try log.outcomes() == ["http_503", "ok", "ok"])
        try log.recordTurn(session: "s", system: "be brief", user: "hi", result: answer(), requestID: "r3",
                           at: 1_700_000_200, breaker: nil)
        #expect(try log.sessions().map(\.name) == ["s"])
        #expect(try log.stats(from: 0, to: 2_000_000_000, route: nil).map(\.requests).reduce(0, +) == 4)
    }
}
