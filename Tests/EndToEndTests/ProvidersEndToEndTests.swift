import Testing
import Foundation
import FakeProvider
@testable import StateStore
import TestSupport

/// `llmr providers`: list, check, reset and prune against the fake provider.
@Suite(.serialized) struct ProvidersEndToEndTests {
    let yaml = """
    providers:
      up:      {api: openai, base_url: http://127.0.0.1:PORT/up/v1, key_env: UP_KEY}
      slow:    {api: anthropic, base_url: http://127.0.0.1:PORT/slow, key_env: UP_KEY}
      limited: {api: gemini, base_url: http://127.0.0.1:PORT/limited, key_env: UP_KEY}
      down:    {api: openai, base_url: http://127.0.0.1:1/v1}
      nokey:   {api: openai, base_url: http://127.0.0.1:PORT/nokey/v1, key_env: NOT_SET}
    models:
      u: {provider: up, id: u-1}
    routes:
      default: {targets: [u]}
    breaker: {failures: 2, window: 60s, open_for: 300s}
    health: {interval: 1s}
    """

    func world() throws -> FakeWorld {
        var up = FakeBehaviour.answer("fine")
        up.requireKey = "k-up"
        var slow = FakeBehaviour.answer("fine")
        slow.delayMs = 300
        slow.requireKey = "k-up"
        return try FakeWorld(script: FakeScript(["up": [up], "slow": [slow], "limited": [.status(429, retryAfter: "90")]]), yaml: yaml)
    }

    func providers(_ w: FakeWorld, _ args: [String]) throws -> LLMRRun {
        try LLMRProcess.run(["providers"] + args + ["--config", w.configPath],
                            environment: ["UP_KEY": "k-up", "LLMR_STATE_DIR": w.stateDirectory])
    }

    @Test func checkProbesInParallelAndReportsEach() throws {
        let w = try world()
        let r = try providers(w, ["check", "--json"])
        #expect(r.exitCode == 69) // not every provider answered
        let probes = try #require(r.json?["probes"] as? [[String: Any]])
        let outcome = Dictionary(uniqueKeysWithValues: probes.map { ($0["provider"] as? String ?? "", $0["outcome"] as? String ?? "") })
        #expect(outcome == ["up": "ok", "slow": "ok", "limited": "http_429", "down": "connect", "nokey": "no_key"])
        let slowLatency = probes.first { $0["provider"] as? String == "slow" }?["latency_ms"] as? Int ?? 0
        #expect(slowLatency >= 300)
        // Each probe used its API's model list and key header.
        let paths = Set(w.server.requests.map(\.path))
        #expect(paths.isSuperset(of: ["/up/v1/models", "/slow/v1/models", "/limited/v1beta/models"]))
        #expect(w.server.requests.first { $0.provider == "slow" }?.header("x-api-key") == "k-up")
        #expect(!r.stdout.contains("k-up"))
    }

    @Test func checksFeedTheBreakerAndCooldownsAndListShowsThem() throws {
        let w = try world()
        _ = try providers(w, ["check"])
        _ = try providers(w, ["check", "down"])
        let list = try providers(w, ["--json"])
        let rows = try #require(list.json?["providers"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: rows.map { ($0["name"] as? String ?? "", $0) })
        #expect(byName["down"]?["breaker"] as? String == "open") // two failed checks, failures: 2
        #expect(byName["limited"]?["cooldown_until"] is Double) // Retry-After 90 on the check
        #expect(byName["up"]?["breaker"] as? String == "closed")
        #expect(byName["up"]?["key"] as? String == "present")
        #expect(byName["nokey"]?["key"] as? String == "missing (NOT_SET)")
        let table = try providers(w, [])
        #expect(table.stdout.contains("down"))
        #expect(table.stdout.contains("open 300s") || table.stdout.contains("open 299s"))

        // Reset closes the breaker and clears the cooldown.
        #expect(try providers(w, ["reset", "down", "limited"]).exitCode == 0)
        let after = try #require(try providers(w, ["--json"]).json?["providers"] as? [[String: Any]])
        #expect(after.allSatisfy { $0["breaker"] as? String == "closed" && $0["cooldown_until"] is NSNull })
    }

    @Test func watchProbesRoundAfterRound() throws {
        let w = try world()
        let r = try providers(w, ["check", "--watch", "--count", "2", "up"])
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2) // not a terminal: one line per probe per round
        #expect(lines.allSatisfy { $0.contains(" up ok ") })
        #expect(w.server.requests.count == 2)
    }

    @Test func pruneDropsOldRecords() throws {
        let w = try world()
        _ = try providers(w, ["check", "up"])
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        try log.queue.write { db in try db.execute(sql: "UPDATE attempts SET at = at - 40 * 86400") }
        _ = try providers(w, ["check", "up"])
        let r = try providers(w, ["prune", "--older-than", "30d"])
        #expect(r.stdout == "deleted 1 attempt record older than 30d\n")
        #expect(try log.count() == 1)
    }

    @Test func mistakesAreUsageErrors() throws {
        let w = try world()
        #expect(try providers(w, ["chek"]).stderr.contains("did you mean 'check'?"))
        #expect(try providers(w, ["check", "upp"]).stderr.contains("did you mean 'up'?"))
        #expect(try providers(w, ["prune"]).exitCode == 64)
        #expect(try providers(w, ["--color", "sometimes"]).exitCode == 64)
        #expect(try providers(w, ["reset", "--watch"]).exitCode == 64)
        #expect(try providers(w, ["--help"]).stdout.contains("usage: llmr providers"))
    }

    /// Inserts attempts with known figures, `ago` seconds before now.
    func seed(_ log: AttemptLog, provider: String, model: String, ago: Double, latencies: [Int], outcome: String = "ok",
              cost: Double? = nil, fallback: Bool = false, hedge: Bool = false, route: String = "default") throws {
        let at = Date().timeIntervalSince1970 - ago
        try log.queue.write { db in
            for (i, l) in latencies.enumerated() {
                try db.execute(sql: """
                    INSERT INTO attempts (request_id, at, route, provider, model, model_id, tier, outcome, latency_ms, ttft_ms,
                      cost_usd, fallback, hedge, failure)
                    VALUES (?, ?, ?, ?, ?, ?, 'primary', ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: ["\(provider)-\(ago)-\(i)", at, route, provider, model, model, outcome, l, l / 10, cost,
                                     fallback ? 1 : 0, hedge ? 1 : 0, outcome == "ok" ? 0 : 1])
            }
        }
    }

    @Test func statsFiguresAndAlertMarksExactly() throws {
        let w = try world()
        _ = try providers(w, ["check", "up"]) // creates the database; checks are left out of the stats
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        // The hour before: the baseline. p50 1000 ms, $0.01 a request.
        try seed(log, provider: "up", model: "u", ago: 5400, latencies: Array(repeating: 1000, count: 10), cost: 0.01)
        // The last hour: p50 7000 ms (6 s over), p99 20 s, 1 error in 10, $0.03 a request, 2 of 9 answers by fallback.
        try seed(log, provider: "up", model: "u", ago: 60, latencies: [7000, 7000, 7000, 7000, 7000, 6000, 6000], cost: 0.03)
        try seed(log, provider: "up", model: "u", ago: 60, latencies: [20000, 8000], cost: 0.03, fallback: true, hedge: true)
        try seed(log, provider: "up", model: "u", ago: 60, latencies: [100], outcome: "http_503", cost: 0.03)
        // A healthy second provider.
        try seed(log, provider: "slow", model: "s", ago: 60, latencies: [300, 300, 300], cost: 0.001)

        let r = try providers(w, ["stats", "--since", "1h", "--json"])
        #expect(r.exitCode == 0)
        let groups = try #require(r.json?["groups"] as? [[String: Any]])
        #expect(groups.compactMap { $0["provider"] as? String } == ["slow", "up"])
        let up = try #require(groups.last)
        #expect(up["requests"] as? Int == 10)
        #expect(up["p50_latency_ms"] as? Int == 7000)
        #expect(up["p99_latency_ms"] as? Int == 20000)
        #expect(up["p50_ttft_ms"] as? Int == 700)
        #expect(up["error_rate"] as? Double == 0.1)
        #expect(up["cost_per_request_usd"] as? Double == 0.03)
        #expect(up["total_cost_usd"] as? Double == 0.3)
        #expect(up["fallback_rate"] as? Double == 0.222222222)
        #expect(up["hedge_rate"] as? Double == 0.2)
        #expect(up["baseline_p50_latency_ms"] as? Int == 1000)
        #expect(up["alerts"] as? [String] == ["p50", "p99", "error_rate", "cost_per_request", "fallback_rate"])
        let slow = try #require(groups.first)
        #expect(slow["alerts"] as? [String] == [])
        #expect(slow["p50_latency_ms"] as? Int == 300)

        let table = try providers(w, ["stats", "--since", "1h"])
        #expect(table.stdout.contains("7000 ms !"))
        #expect(table.stdout.contains("10%"))
        let csv = try providers(w, ["stats", "--since", "1h", "--csv"])
        let rows = csv.stdout.split(separator: "\n")
        #expect(rows.first?.hasPrefix("provider,model,requests,p50_latency_ms") == true)
        #expect(rows.last?.hasPrefix("up,u,10,7000,20000,700,0.1,") == true)
        #expect(rows.last?.hasSuffix(",p50 p99 error_rate cost_per_request fallback_rate,closed") == true)
        // --route narrows; an unknown route is a usage error.
        #expect(try providers(w, ["stats", "--since", "1h", "--route", "default", "--json"]).json?["route"] as? String == "default")
        #expect(try providers(w, ["stats", "--route", "nope"]).exitCode == 64)
    }

    /// A model with no price costs "unknown" in the table, null in JSON, nothing in CSV; prices read as decimals.
    @Test func anUnpricedModelsCostIsUnknownAndPricesHaveNoFloatNoise() throws {
        let w = try world()
        _ = try providers(w, ["check", "up"])
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        try seed(log, provider: "up", model: "free", ago: 60, latencies: [100, 200])
        try seed(log, provider: "slow", model: "s", ago: 60, latencies: [300, 300, 300], cost: 5.3e-06 / 3 * 3)
        let table = try providers(w, ["stats", "--since", "1h"])
        let free = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("up ") }, "\(table.stdout)")
        #expect(free.contains("unknown") && !free.contains("$0.000000"), "\(free)")
        let json = try providers(w, ["stats", "--since", "1h", "--json"])
        #expect(json.stdout.contains(#""cost_per_request_usd":null"#), "\(json.stdout)")
        #expect(!json.stdout.contains("e-0"), "no exponents: \(json.stdout)")
        let csv = try providers(w, ["stats", "--since", "1h", "--csv"])
        #expect(!csv.stdout.contains("e-0"), "\(csv.stdout)")
        #expect(csv.stdout.contains("slow,s,3,300,300,30,0,0.0000053,0.0000159,0,0,"), "\(csv.stdout)")
        #expect(csv.stdout.contains("up,free,2,100,200,10,0,,,0,0,"), "\(csv.stdout)")
    }

    @Test func anUnknownRouteForStatsListsTheRoutes() throws {
        let w = try world()
        let r = try providers(w, ["stats", "--route", "nope"])
        #expect(r.exitCode == 64)
        #expect(r.stderr.contains("routes in \(w.configPath): default"), "\(r.stderr)")
    }

    /// The header and the column say the same word, and a period typed without a unit is shown with one.
    @Test func statsSaysAttemptsAndShowsThePeriodsUnit() throws {
        let w = try world()
        let r = try providers(w, ["stats", "--since", "90"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("attempts over the last 90s;"), "\(r.stdout)")
    }
}
