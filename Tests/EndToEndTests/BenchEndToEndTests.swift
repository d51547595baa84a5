import Testing
import Foundation
import FakeProvider
import TestSupport
@testable import StateStore

/// `llmr bench` against the fake provider, whose scripted delays give known figures.
@Suite(.serialized) struct BenchEndToEndTests {
    static let yaml = """
    providers:
      timed: {api: openai, base_url: http://127.0.0.1:PORT/timed/v1}
      half: {api: openai, base_url: http://127.0.0.1:PORT/half/v1}
      stall: {api: openai, base_url: http://127.0.0.1:PORT/stall/v1}
      pricey: {api: openai, base_url: http://127.0.0.1:PORT/pricey/v1}
    models:
      t: {provider: timed, id: t-model, input: 1, output: 2}
      h: {provider: half, id: h-model, input: 1, output: 2}
      s: {provider: stall, id: s-model}
      p: {provider: pricey, id: p-model, input: 1000, output: 1000}
    routes:
      default: {targets: [t, h]}
    """

    static var timed: FakeBehaviour {
        var b = FakeBehaviour.answer("a b c d e f g h i j")
        b.firstTokenDelayMs = 200
        b.chunkDelayMs = 20
        b.outputTokens = 10
        return b
    }

    func world(_ script: [String: [FakeBehaviour]], cycling: Set<String> = []) throws -> FakeWorld {
        var s = FakeScript(script)
        s.cycling = cycling
        return try FakeWorld(script: s, yaml: Self.yaml)
    }

    func bench(_ w: FakeWorld, _ args: [String]) throws -> LLMRRun {
        try LLMRProcess.run(["bench", "--config", w.configPath] + args, environment: ["LLMR_STATE_DIR": w.stateDirectory])
    }

    func target(_ r: LLMRRun, _ i: Int = 0) throws -> [String: Any] {
        try #require((r.json?["targets"] as? [[String: Any]])?[i], "\(r.stdout) \(r.stderr)")
    }

    /// Targets on one host do not queue behind each other: two slow targets keep
    /// 18 connections busy for 2 s at a time, and the quick target's second wave
    /// of requests is still answered at once (with a cap of 16 connections a
    /// host it waited for the slow ones to finish).
    @Test func aQuickTargetDoesNotQueueBehindSlowTargetsOnTheSameHost() throws {
        var held = FakeBehaviour.answer("late")
        held.delayMs = 2000
        let w = try world(["timed": [.answer("quick")], "half": [held], "stall": [held]])
        let r = try bench(w, ["t", "h", "s", "-n", "18", "-c", "9", "--json", "--yes"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        let quick = try target(r, 0)
        let e2e = try #require(quick["e2e_ms"] as? [String: Any])
        #expect(quick["succeeded"] as? Int == 18)
        // Half the hold: a margin no busy machine eats, and far below the 2 s a queued request waits.
        #expect((e2e["max"] as? Double ?? .infinity) < 1000, "\(e2e)")
    }

    @Test func knownDelaysGiveKnownFigures() throws {
        let w = try world(["timed": [Self.timed]])
        let r = try bench(w, ["t", "-n", "6", "-c", "2", "--json"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        let t = try target(r)
        let ttft = try #require((t["ttft_ms"] as? [String: Any])?["p50"] as? Double)
        let tpot = try #require((t["tpot_ms"] as? [String: Any])?["p50"] as? Double)
        // Bounds, not figures (those are scripts/bench-stream.sh's): the server
        // holds the first token 200 ms and spaces chunks 20 ms, so the figures
        // cannot be below that (a wrong origin or unit would be), and a loaded
        // machine may stretch them, never by a minute.
        #expect(ttft >= 195 && ttft < 60_000, "TTFT \(ttft) ms")
        #expect(tpot > 0 && tpot < 60_000, "TPOT \(tpot) ms")
        let itl = try #require((t["itl_ms"] as? [String: Any])?["p50"] as? Double)
        #expect(itl >= 0 && itl < 60_000, "inter-chunk \(itl) ms")
        #expect((t["ttft_ms"] as? [String: Any])?["count"] as? Int == 6)
        #expect(r.json?["schema"] as? String == "llmr.bench/1")
    }

    /// With --schema, answers that are not JSON that validates are failures
    /// of their own, counted apart, and the valid ones keep their timings.
    @Test func answersThatFailTheSchemaAreCountedApart() throws {
        let w = try world(["half": [.answer(#"{"ok":true}"#), .answer("not json")]], cycling: ["half"])
        let r = try bench(w, ["h", "-n", "10", "--json", "--schema", #"{"type":"object","required":["ok"]}"#])
        #expect(r.exitCode == 0, "\(r.stderr)")
        let t = try target(r)
        #expect(t["succeeded"] as? Int == 5)
        #expect(t["invalid_answers"] as? Int == 5)
        #expect((t["errors"] as? [String: Any])?["invalid_output"] as? Int == 5)
        #expect(((t["ttft_ms"] as? [String: Any])?["count"] as? Int) == 5, "valid answers are timed from their first token")
        let text = try bench(w, ["h", "-n", "4", "--schema", #"{"type":"object","required":["ok"]}"#])
        #expect(text.stdout.contains("answers that failed --schema 2"), "\(text.stdout)")
        #expect(try bench(w, ["h", "-n", "2", "--schema", #"{"type":"objekt"}"#]).exitCode == 65, "a bad schema is bad input, as for ask")
    }

    @Test func aTargetThatFailsHalfItsRequestsHasAHalfErrorRateAndCleanLatencies() throws {
        var slowFailure = FakeBehaviour.status(500)
        slowFailure.delayMs = 400
        let w = try world(["half": [.answer("quick"), slowFailure]], cycling: ["half"])
        let r = try bench(w, ["h", "-n", "10", "--json"])
        #expect(r.exitCode == 0)
        let t = try target(r)
        #expect(t["error_rate"] as? Double == 0.5)
        #expect((t["errors"] as? [String: Any])?["http_500"] as? Int == 5)
        let e2e = try #require(t["e2e_ms"] as? [String: Any])
        #expect(e2e["count"] as? Int == 5)
        #expect((e2e["max"] as? Double ?? 999) < 300, "the slow failures stayed out of the latencies")
    }

    @Test func usageTokensCountEvenWhenOneChunkCarriesThemAll() throws {
        var one = FakeBehaviour.answer("everything")
        one.outputTokens = 50
        one.firstTokenDelayMs = 10
        let w = try world(["timed": [one]])
        let r = try bench(w, ["t", "-n", "3", "--json"])
        let t = try target(r)
        let tps = try #require(t["output_tokens_per_s"] as? Double)
        let window = try #require(t["window_s"] as? Double)
        #expect(abs(tps * window - 150) < 0.5, "150 tokens reported by usage, 3 chunks seen")
    }

    @Test func anOpenLoopCountsTheWaitOfEveryRequestScheduledDuringAStall() throws {
        var stall = FakeBehaviour.answer("late")
        stall.delayMs = 1000
        let w = try world(["stall": [stall, .answer("quick")]])
        let r = try bench(w, ["s", "--rate", "20", "--arrival", "constant", "-n", "30", "--max-concurrency", "1", "--csv"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        // (Rows too short to be the CSV's are left out, so that a broken run fails here rather than trapping below.)
        let rows = r.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 5 }
        #expect(rows.count == 30)
        // Requests meant to start during the stall (0.05 s to 0.9 s) were sent only after it.
        let during = rows.filter { (Double($0[1]) ?? 0) > 40 && (Double($0[1]) ?? 0) < 900 }
        #expect(during.count >= 15)
        for row in during {
            let intended = Double(row[1]) ?? 0, sent = Double(row[2]) ?? 0, e2e = Double(row[4]) ?? 0
            #expect(e2e >= 1000 - intended - 20, "corrected latency includes the wait: \(row)")
            #expect(sent >= 950, "sent after the stall: \(row)")
            #expect(e2e - (sent - intended) < 100, "the server's own time was short: \(row)")
        }
    }

    @Test func theSameSeedSendsTheSameScheduleAndPrompts() throws {
        let w = try world(["timed": [.answer("x")]])
        let first = try bench(w, ["t", "--rate", "50", "-n", "8", "--seed", "5", "--csv"])
        let bodiesA = w.server.requests.map(\.bodyText)
        let second = try bench(w, ["t", "--rate", "50", "-n", "8", "--seed", "5", "--csv"])
        let bodiesB = Array(w.server.requests.map(\.bodyText).dropFirst(bodiesA.count))
        // Rows come as requests finish: the schedule is the set of intended starts.
        func starts(_ r: LLMRRun) -> [Double] {
            r.stdout.split(separator: "\n").dropFirst().compactMap { line in
                let fields = line.split(separator: ",")
                return fields.count > 1 ? Double(fields[1]) : nil
            }.sorted()
        }
        #expect(starts(first) == starts(second) && starts(first).count == 8)
        #expect(bodiesA.sorted() == bodiesB.sorted())
        #expect(Set(bodiesA).count == 8, "each request has its own random prefix")
    }

    @Test func failIfExitsOneOnlyOnTheFailingSide() throws {
        let w = try world(["timed": [Self.timed]])
        let failing = try bench(w, ["t", "-n", "2", "--fail-if", "p95(ttft)>100ms"])
        #expect(failing.exitCode == 1)
        #expect(failing.stderr.contains("check failed: p95(ttft)>100ms — t:"), "\(failing.stderr)")
        let passing = try bench(w, ["t", "-n", "2", "--fail-if", "p95(ttft)>800ms", "--fail-if", "error_rate>1%"])
        #expect(passing.exitCode == 0, "\(passing.stderr)")
        let bad = try bench(w, ["t", "-n", "2", "--fail-if", "p95(tfft)>1s"])
        #expect(bad.exitCode == 64)
        #expect(bad.stderr.contains("did you mean 'ttft'"))
    }

    @Test func maxCostRefusesARunWhoseWorstCaseIsHigher() throws {
        let w = try world(["pricey": [.answer("x")]])
        let r = try bench(w, ["p", "-n", "10", "--max-cost", "0.01"])
        #expect(r.exitCode == 75)
        #expect(r.stderr.contains("worst case"))
        #expect(w.server.requests.isEmpty)
        let unconfirmed = try bench(w, ["p", "-n", "10"])
        #expect(unconfirmed.exitCode == 75)
        #expect(unconfirmed.stderr.contains("--yes"))
        #expect(w.server.requests.isEmpty)
        #expect(try bench(w, ["p", "-n", "1", "--yes"]).exitCode == 0)
    }

    @Test func withoutTargetsTheRoutesAreMeasuredSideBySide() throws {
        let w = try world(["timed": [.answer("x")], "half": [.answer("y")]])
        let r = try bench(w, ["-n", "2"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        // Rows by the catalog's names.
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(rows.contains("t") && rows.contains("h"), "\(r.stdout)")
        let via = try bench(w, ["--via-router", "-n", "2", "--json"])
        let t = try target(via)
        #expect(t["target"] as? String == "route default")
        #expect(t["attempts_per_request"] as? Double == 1)
    }

    @Test func theJSONHasItsDocumentedShape() throws {
        let w = try world(["timed": [.answer("x")]])
        let r = try bench(w, ["t", "--rate", "40", "--duration", "500ms", "--slo", "ttft=500ms", "--json", "--seed", "3"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        let top = try #require(r.json)
        for key in ["schema", "llmr_version", "seed", "started_at", "settings", "targets", "warnings"] { #expect(top[key] != nil, "\(key)") }
        #expect(top["seed"] as? String == "3")
        let settings = try #require(top["settings"] as? [String: Any])
        for key in ["loop", "rate", "arrival", "max_concurrency", "requests", "duration_s", "warmup", "mode", "stream", "prompt_tokens",
                    "max_tokens", "shared_prefix", "timeout_s"] { #expect(settings.keys.contains(key), "settings.\(key)") }
        let t = try target(r)
        for key in ["target", "requests", "succeeded", "errors", "cut_by_max_tokens", "error_rate", "window_s", "requests_per_s",
                    "output_tokens_per_s", "goodput_per_s", "ttft_ms", "e2e_ms", "service_ms", "tpot_ms", "itl_ms", "lateness_ms",
                    "output_tokens_per_s_per_request", "cost_usd", "attempts_per_request", "failover_rate"] {
            #expect(t.keys.contains(key), "targets[].\(key)")
        }
        for key in ["count", "p50", "p90", "p95", "p99", "max", "mean"] { #expect((t["e2e_ms"] as? [String: Any])?.keys.contains(key) == true) }
        // --duration 0.5 s at 40/s: about 20 requests, all within the half second.
        let requests = try #require(t["requests"] as? Int)
        #expect((10...30).contains(requests), "\(requests) requests")
        #expect(t["goodput_per_s"] as? Double != nil)
    }

    @Test func benchTrafficStaysOutOfProviderStatsUnlessAsked() throws {
        let w = try world(["timed": [.answer("x")]])
        #expect(try bench(w, ["t", "-n", "3"]).exitCode == 0)
        let env = ["LLMR_STATE_DIR": w.stateDirectory]
        let plain = try LLMRProcess.run(["providers", "stats", "--json", "--config", w.configPath], environment: env)
        #expect((plain.json?["groups"] as? [Any])?.isEmpty == true)
        let with = try LLMRProcess.run(["providers", "stats", "--bench", "--json", "--config", w.configPath], environment: env)
        #expect(((with.json?["groups"] as? [[String: Any]])?.first?["requests"] as? Int) == 3)
    }

    /// Ctrl-C or SIGTERM in a long run: sending stops, the figures of what
    /// finished are printed, every request that was sent is recorded (and no
    /// other), and the exit says which signal it was.
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedRunShowsAndRecordsWhatFinished(_ sig: Int32) throws {
        let w = try world(["timed": [.answer("quick")]], cycling: ["timed"])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: LLMRProcess.binary)
        p.arguments = ["bench", "--config", w.configPath, "t", "-n", "100000", "-c", "8", "--json", "--yes"]
        p.environment = ["LLMR_STATE_DIR": w.stateDirectory, "PATH": "/usr/bin:/bin"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        killAfter(120, p)
        let started = ShellRun.waitUntil(60) { w.server.requests.count >= 200 || !p.isRunning }
        #expect(started && p.isRunning, "\(String(decoding: err.fileHandleForReading.availableData, as: UTF8.self))")
        kill(p.processIdentifier, sig)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 128 + sig)
        let json = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any], "\(String(decoding: stdout, as: UTF8.self))")
        let target = try #require((json["targets"] as? [[String: Any]])?.first)
        let finished = try #require(target["requests"] as? Int)
        #expect(finished >= 200 - 8 && finished < 100_000, "finished \(finished)")
        #expect(target["error_rate"] as? Double == 0, "interrupted requests are not errors")
        let sent = w.server.requests.count
        let recorded = try AttemptLog(path: w.stateDirectory + "/state.sqlite").count()
        // Every request the server saw was recorded; at most the 8 in flight more, never the 100,000 planned.
        #expect(recorded >= sent && recorded <= sent + 8, "recorded \(recorded), sent \(sent)")
        #expect(recorded >= finished)
    }

    @Test func goodputWithoutObjectivesIsAUsageError() throws {
        let w = try world(["timed": [.answer("x")]])
        let r = try bench(w, ["t", "-n", "1", "--fail-if", "goodput<1"])
        #expect(r.exitCode == 64)
        #expect(r.stderr.contains("needs --slo"))
        #expect(w.server.requests.isEmpty)
    }

    @Test func aFailedRateCheckShowsItsValueAsAPercentage() throws {
        let w = try world(["half": [.answer("quick"), .status(500)]], cycling: ["half"])
        let r = try bench(w, ["h", "-n", "4", "-q", "--fail-if", "error_rate>10%"])
        #expect(r.exitCode == 1)
        #expect(r.stderr.contains("check failed: error_rate>10% — h: 50%"), "\(r.stderr)")
    }

    /// Through the router, a failover shows in the table, not only in --json.
    @Test func theTableShowsFailoverThroughTheRouter() throws {
        let w = try world(["timed": [.status(503)], "half": [.answer("y")]])
        let r = try bench(w, ["--via-router", "-n", "4", "-q"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout.contains("route default: 100% of answers after a failover, 2 attempts a request"), "\(r.stdout)")
    }
}
