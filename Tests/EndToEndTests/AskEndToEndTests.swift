import Testing
import Foundation
import FakeProvider
import TestSupport

/// The built `llmr` binary against the fake provider on 127.0.0.1, with scripted faults.
@Suite(.serialized) struct AskEndToEndTests {
    static let yaml = """
    providers:
      primary: {api: openai, base_url: http://127.0.0.1:PORT/primary/v1, key_env: PRIMARY_KEY, idle_timeout: 1s, first_token_timeout: 1s}
      backup:  {api: openai, base_url: http://127.0.0.1:PORT/backup/v1, key_env: BACKUP_KEY}
      dead:    {api: openai, base_url: http://127.0.0.1:1/v1}
    models:
      p: {provider: primary, id: p-model, input: 1, output: 2, context: 4000}
      b: {provider: backup, id: b-model, input: 0.5, output: 1, context: 4000}
      d: {provider: dead, id: d-model}
    routes:
      default: {strategy: fallback, retries: 0, targets: [p], fallback: [b]}
      retrying: {strategy: fallback, retries: 2, targets: [p]}
      solo: {strategy: fallback, retries: 0, targets: [p]}
      refused: {strategy: fallback, targets: [d, b]}
    """
    static let keys = ["PRIMARY_KEY": "sk-primary-secret", "BACKUP_KEY": "sk-backup-secret"]

    func world(primary: [FakeBehaviour], backup: [FakeBehaviour] = [.answer("Backup answer.")]) throws -> FakeWorld {
        try FakeWorld(script: FakeScript(["primary": primary, "backup": backup]), yaml: Self.yaml)
    }

    @Test func answerOnStdout() throws {
        let w = try world(primary: [.answer("Paris is the capital of France.")])
        let r = try w.run(["capital of France?"], environment: Self.keys)
        #expect(r.exitCode == 0)
        #expect(r.stdout == "Paris is the capital of France.\n")
        #expect(r.stderr == "")
        let sent = try #require(w.server.requests.first)
        #expect(sent.path == "/primary/v1/chat/completions")
        #expect(sent.header("authorization") == "Bearer sk-primary-secret")
    }

    @Test func fiveOhThreeThenFallback() throws {
        let w = try world(primary: [.status(503)])
        let r = try w.run(["--json", "hi"], environment: Self.keys)
        #expect(r.exitCode == 0)
        #expect(r.outcomes == ["http_503", "ok"])
        #expect(r.json?["text"] as? String == "Backup answer.")
        #expect(r.json?["fallback"] as? Bool == true)
        #expect(r.json?["provider"] as? String == "backup")
        #expect(r.json?["schema"] as? String == "llmr.ask/1")
    }

    @Test func refusedConnectionThenFallback() throws {
        let w = try world(primary: [.answer("unused")])
        let r = try w.run(["-r", "refused", "--json", "hi"], environment: Self.keys)
        #expect(r.exitCode == 0)
        #expect(r.outcomes == ["connect", "ok"])
    }

    @Test func rateLimitHonoursRetryAfter() throws {
        let w = try world(primary: [.status(429, retryAfter: "1"), .answer("after the wait")])
        let r = try w.run(["-r", "retrying", "--json", "hi"], environment: Self.keys)
        #expect(r.exitCode == 0)
        #expect(r.outcomes == ["http_429", "ok"])
        let first = try #require((r.json?["attempts"] as? [[String: Any]])?.first)
        #expect(first["retry_after_s"] as? Double == 1)
        #expect((r.json?["latency_ms"] as? Int ?? 0) >= 1000)
    }

    /// A wait of a second or more is said as it starts: in a pipe one line
    /// (what, why, how long, how to stop); on a terminal a countdown, cleared after.
    @Test func aRateLimitWaitIsSaid() throws {
        let w = try world(primary: [.status(429, retryAfter: "2"), .answer("after the wait")])
        let r = try w.run(["-r", "retrying", "hi"], environment: Self.keys)
        #expect(r.exitCode == 0)
        #expect(r.stdout == "after the wait\n")
        #expect(r.stderr == "llmr: waiting 2s before trying p again (http_429, Retry-After 2s); Ctrl-C stops\n", "\(r.stderr)")
        let again = try world(primary: [.status(429, retryAfter: "2"), .answer("after the wait")])
        let tty = try TerminalRun.run(["ask", "--config", again.configPath, "-r", "retrying", "hi"],
                                      environment: Self.keys.merging(["LLMR_STATE_DIR": again.stateDirectory]) { $1 })
        #expect(tty.exitCode == 0)
        #expect(tty.stdout.contains("waiting 2s before trying p again"), "\(tty.stdout.debugDescription)")
        // The countdown's line is cleared before the answer.
        #expect(tty.stdout.contains("\r\u{1B}[Kafter the wait"), "\(tty.stdout.debugDescription)")
    }

    @Test func rateLimitedEverywhereExits75() throws {
        let w = try world(primary: [.status(429, retryAfter: "120")])
        let r = try w.run(["-r", "solo", "hi"], environment: Self.keys)
        #expect(r.exitCode == 75)
        #expect(r.stdout == "")
    }

    @Test func truncatedStreamFallsBack() throws {
        var t = FakeBehaviour.answer("one two three four")
        t.truncateAfter = 2
        let w = try world(primary: [t])
        let r = try w.run(["--json", "hi"], environment: Self.keys)
        #expect(r.exitCode == 0)
        #expect(r.outcomes == ["truncated", "ok"])
        #expect(r.json?["text"] as? String == "Backup answer.")
    }

    @Test func truncatedStreamWithoutFallbackIsNeverASuccess() throws {
        var t = FakeBehaviour.answer("one two three four")
        t.truncateAfter = 2
        let w = try world(primary: [t])
        let r = try w.run(["-r", "solo", "--json", "hi"], environment: Self.keys)
        #expect(r.exitCode == 69)
        #expect(r.outcomes == ["truncated"])
        #expect(r.json?["text"] == nil)
        #expect((r.json?["error"] as? [String: Any])?["kind"] as? String == "exhausted")
        let plain = try w.run(["-r", "solo", "hi"], environment: Self.keys)
        #expect(plain.exitCode == 69)
        #expect(plain.stdout == "")
        #expect(plain.stderr.contains("truncated"))
    }

    @Test func liveStreamThatBreaksSaysSoAndNeverExitsZeroTruncated() throws {
        var t = FakeBehaviour.answer("one two three four")
        t.disconnectAfter = 2
        let w = try world(primary: [t])
        let r = try w.run(["-r", "solo", "--stream", "hi"], environment: Self.keys)
        #expect(r.exitCode == 69)
        #expect(r.stdout.hasPrefix("one two "))
        #expect(r.stderr.contains("dropped"))
        #expect(r.stderr.contains("incomplete"))
    }

    @Test func droppedConnectionAndMalformedChunkAreFailures() throws {
        var drop = FakeBehaviour.answer("a b c")
        drop.disconnectAfter = 1
        var bad = FakeBehaviour.answer("a b c")
        bad.malformedAfter = 1
        for (b, outcome) in [(drop, "dropped"), (bad, "malformed")] {
            let w = try world(primary: [b])
            let r = try w.run(["--json", "hi"], environment: Self.keys)
            #expect(r.exitCode == 0)
            #expect(r.outcomes == [outcome, "ok"])
        }
    }

    @Test func stallsHitTheIdleAndFirstTokenTimeouts() throws {
        var stall = FakeBehaviour.answer("a b c")
        stall.stallAfter = 1
        stall.stallMs = 3000
        var slow = FakeBehaviour.answer("a b c")
        slow.firstTokenDelayMs = 3000
        for (b, outcome) in [(stall, "idle_timeout"), (slow, "first_token_timeout")] {
            let w = try world(primary: [b])
            let r = try w.run(["--json", "hi"], environment: Self.keys)
            #expect(r.exitCode == 0)
            #expect(r.outcomes == [outcome, "ok"])
            #expect((r.json?["latency_ms"] as? Int ?? 99999) < 2500)
        }
    }

    @Test func unauthorizedExits77() throws {
        var b = FakeBehaviour.answer("x")
        b.requireKey = "the-right-key"
        let w = try world(primary: [b], backup: [b])
        let r = try w.run(["--json", "hi"], environment: Self.keys)
        #expect(r.exitCode == 77)
        #expect(r.outcomes == ["http_401", "http_401"])
    }

    @Test func missingKeyIsNamedAndExits77() throws {
        let w = try world(primary: [.answer("x")])
        let r = try w.run(["hi"], environment: [:])
        #expect(r.exitCode == 77)
        #expect(r.stderr.contains("PRIMARY_KEY is not set"))
        #expect(r.stderr.contains("BACKUP_KEY is not set"))
        #expect(w.server.requests.isEmpty)
    }

    @Test func keyCommandSuppliesTheKey() throws {
        let yaml = """
        providers:
          viacmd: {api: openai, base_url: http://127.0.0.1:PORT/viacmd/v1, key_cmd: "printf 'sk-from-cmd\\nsecond line'"}
          failing: {api: openai, base_url: http://127.0.0.1:PORT/viacmd/v1, key_cmd: "exit 3"}
        models:
          ok: {provider: viacmd, id: m}
          bad: {provider: failing, id: m}
        """
        let w = try FakeWorld(script: FakeScript(["viacmd": [.answer("keyed")]]), yaml: yaml)
        let r = try w.run(["-m", "ok", "hi"])
        #expect(r.exitCode == 0)
        #expect(w.server.requests.first?.header("authorization") == "Bearer sk-from-cmd")
        let bad = try w.run(["-m", "bad", "hi"])
        #expect(bad.exitCode == 77)
        #expect(bad.stderr.contains("key_cmd for provider failing failed (exit 3)"))
    }

    @Test func proxyVariablesAreHonoured() throws {
        let w = try world(primary: [.answer("direct")])
        // A proxy that refuses connections: used, the request fails; bypassed by NO_PROXY, it succeeds.
        var env = Self.keys
        env["http_proxy"] = "http://127.0.0.1:1"
        let proxied = try w.run(["-r", "solo", "--json", "hi"], environment: env)
        #expect(proxied.exitCode == 69)
        #expect(proxied.outcomes == ["connect"])
        #expect(w.server.requests.isEmpty)
        env["NO_PROXY"] = "127.0.0.1"
        let bypassed = try w.run(["-r", "solo", "hi"], environment: env)
        #expect(bypassed.exitCode == 0)
        #expect(bypassed.stdout == "direct\n")
    }

    @Test func nonJSONErrorBodyIsReported() throws {
        let html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
        let w = try world(primary: [.status(502, body: html)], backup: [.status(502, body: html)])
        let r = try w.run(["--json", "hi"], environment: Self.keys)
        #expect(r.exitCode == 69)
        let first = try #require((r.json?["attempts"] as? [[String: Any]])?.first)
        #expect((first["message"] as? String)?.contains("not JSON: 502 Bad Gateway") == true)
    }

    @Test func pipedStdinFollowsThePrompt() throws {
        let w = try world(primary: [.answer("ok")])
        let r = try w.run(["summarize", "this"], stdin: Array("line one\nline two\n".utf8), environment: Self.keys)
        #expect(r.exitCode == 0)
        let body = try #require(w.server.requests.first?.bodyText)
        #expect(body.contains(#""content":"summarize this\n\nline one\nline two\n""#))
        let onlyStdin = try w.run(["-"], stdin: Array("just stdin".utf8), environment: Self.keys)
        #expect(onlyStdin.exitCode == 0)
        #expect(w.server.requests.last?.bodyText.contains(#""content":"just stdin""#) == true)
        let ignored = try w.run(["--no-stdin", "only words"], stdin: Array("secret".utf8), environment: Self.keys)
        #expect(ignored.exitCode == 0)
        #expect(w.server.requests.last?.bodyText.contains("secret") == false)
    }

    @Test func systemPromptAndOptionsReachTheWire() throws {
        let w = try world(primary: [.answer("ok")])
        let r = try w.run(["-s", "be brief", "--max-tokens", "50", "--temperature=0.3", "hi"], environment: Self.keys)
        #expect(r.exitCode == 0)
        let body = try #require(w.server.requests.first?.bodyText)
        #expect(body.contains(#"{"role":"system","content":"be brief"}"#))
        #expect(body.contains(#""max_tokens":50"#))
        #expect(body.contains(#""temperature":0.3"#))
    }

    @Test func badStdinExits65() throws {
        let w = try world(primary: [.answer("ok")])
        let invalid = try w.run(["hi"], stdin: [0x61, 0xFF, 0x62], environment: Self.keys)
        #expect(invalid.exitCode == 65)
        #expect(invalid.stderr.contains("not UTF-8"))
        let binary = try w.run(["hi"], stdin: [0x61, 0x00, 0x62], environment: Self.keys)
        #expect(binary.exitCode == 65)
        #expect(w.server.requests.isEmpty)
    }

    @Test func promptTooLargeForEveryCandidateExits65() throws {
        let w = try world(primary: [.answer("ok")])
        let r = try w.run(["-"], stdin: Array(String(repeating: "word ", count: 10_000).utf8), environment: Self.keys)
        #expect(r.exitCode == 65)
        #expect(r.stderr.contains("too large for every candidate"))
        // One name per model: the catalog's (the -v trace adds provider/model-id).
        #expect(r.stderr.contains("— p: skipped (context window 4000 tokens is too small for about"), "\(r.stderr)")
    }

    @Test func usageErrorsExit64() throws {
        let w = try world(primary: [.answer("ok")])
        #expect(try w.run(["--modle", "x", "hi"]).exitCode == 64)
        #expect(try w.run(["--modle", "x", "hi"]).stderr.contains("did you mean '--model'?"))
        let unknown = try w.run(["-m", "nosuch", "hi"], environment: Self.keys)
        #expect(unknown.exitCode == 64)
        #expect(unknown.stderr.contains("unknown model 'nosuch'"))
        #expect(try w.run(["--max-tokens", "zero", "hi"]).exitCode == 64)
        #expect(try w.run([], stdin: []).exitCode == 64)
        #expect(try w.run(["-m", "p", "-r", "solo", "hi"]).exitCode == 64)
    }

    @Test func configErrorsExit78WithLocation() throws {
        let dir = NSTemporaryDirectory() + "llmr-cfg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.yaml"
        try "providers:\n  p:\n    api: openai\n    base_url: http://127.0.0.1:1/v1\n    timeout: soon\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try LLMRProcess.run(["ask", "--config", path, "hi"])
        #expect(r.exitCode == 78)
        #expect(r.stderr.contains("\(path):5:14: providers.p.timeout: expected a duration"))
        let missing = try LLMRProcess.run(["ask", "--config", dir + "/none.yaml", "hi"])
        #expect(missing.exitCode == 78)
        #expect(missing.stderr.contains("cannot read the config file"))
        let viaEnv = try LLMRProcess.run(["ask", "hi"], environment: ["LLMR_CONFIG": path])
        #expect(viaEnv.exitCode == 78)
    }

    @Test func maxCostRefusesBeforeSending() throws {
        let w = try world(primary: [.answer("ok")])
        // p costs $2 per million output tokens: 3,000 tokens are $0.006 (b's $1: $0.003).
        let r = try w.run(["--max-tokens", "3000", "--max-cost", "0.002", "--json", "hi"], environment: Self.keys)
        #expect(r.exitCode == 75)
        #expect(w.server.requests.isEmpty)
        let message = ((r.json?["error"] as? [String: Any])?["message"] as? String) ?? ""
        #expect(message.contains("--max-cost would be exceeded"))
        #expect(message.contains("worst case $0.006"))
        #expect(try w.run(["--max-tokens", "3000", "--max-cost", "0.05", "hi"], environment: Self.keys).exitCode == 0)
        #expect(try w.run(["--max-cost", "cheap", "hi"], environment: Self.keys).exitCode == 64)
    }

    @Test func keysAreNeverPrinted() throws {
        let w = try world(primary: [.status(401)])
        let r = try w.run(["-v", "--json", "hi"], environment: Self.keys)
        #expect(!r.stdout.contains("secret"))
        #expect(!r.stderr.contains("secret"))
        #expect(r.stderr.contains("← primary/p-model http_401"))
    }

    @Test func verboseTraceHasOneLinePerAttempt() throws {
        let w = try world(primary: [.status(503)])
        let r = try w.run(["-v", "hi"], environment: Self.keys)
        #expect(r.exitCode == 0)
        #expect(r.stdout == "Backup answer.\n")
        let finished = r.stderr.split(separator: "\n").filter { $0.hasPrefix("llmr: ← ") }
        #expect(finished.count == 2)
    }

    @Test func helpAndVersion() throws {
        let help = try LLMRProcess.run(["ask", "--help"])
        #expect(help.exitCode == 0)
        #expect(help.stdout.contains("usage: llmr ask"))
        #expect(try LLMRProcess.run(["help", "ask"]).stdout == help.stdout)
        #expect(try LLMRProcess.run(["--version"]).stdout.hasPrefix("llmr "))
        let typo = try LLMRProcess.run(["aks"])
        #expect(typo.exitCode == 64)
        #expect(typo.stderr.contains("did you mean 'ask'?"))
    }
}

/// Runs that need a terminal, a signal or a very large input.
@Suite(.serialized) struct AskEdgeEndToEndTests {
    let yaml = """
    providers:
      primary: {api: openai, base_url: http://127.0.0.1:PORT/primary/v1}
    models:
      p: {provider: primary, id: p-model}
    routes:
      default: {retries: 0, targets: [p]}
    """

    @Test func streamsToATerminal() throws {
        var b = FakeBehaviour.answer("streamed to a terminal")
        b.chunkDelayMs = 20
        let w = try FakeWorld(script: FakeScript(["primary": [b]]), yaml: yaml)
        let r = try TerminalRun.run(["ask", "--config", w.configPath, "hi"], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(r.exitCode == 0)
        #expect(r.stdout.contains("streamed to a terminal"))
    }

    @Test func bareAskOnATerminalPrintsUsageInsteadOfWaiting() throws {
        let w = try FakeWorld(script: FakeScript(["primary": [.answer("x")]]), yaml: yaml)
        let r = try TerminalRun.run(["ask", "--config", w.configPath], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(r.exitCode == 64)
        #expect(r.stdout.contains("usage: llmr ask"))
        #expect(w.server.requests.isEmpty)
    }

    @Test func hugeStdinIsRefusedNotTruncated() throws {
        let w = try FakeWorld(script: FakeScript(["primary": [.answer("x")]]), yaml: yaml)
        let r = try w.run(["-"], stdin: [UInt8](repeating: 0x61, count: (64 << 20) + 4096))
        #expect(r.exitCode == 65)
        #expect(r.stderr.contains("at most 64 MiB"))
        #expect(w.server.requests.isEmpty)
    }

    @Test func interruptExits130() throws {
        var stall = FakeBehaviour.answer("a b c")
        stall.firstTokenDelayMs = 10_000
        let w = try FakeWorld(script: FakeScript(["primary": [stall]]), yaml: yaml)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: LLMRProcess.binary)
        p.arguments = ["ask", "--config", w.configPath, "--no-stdin", "hi"]
        p.environment = ["LLMR_STATE_DIR": w.stateDirectory, "PATH": "/usr/bin:/bin"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        var waited = 0
        while w.server.requests.isEmpty, waited < 500 {
            usleep(10_000)
            waited += 1
        }
        p.interrupt()
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
    }
}
