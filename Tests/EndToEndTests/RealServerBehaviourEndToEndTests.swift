import Testing
import Foundation
import FakeProvider
import TestSupport

/// Issue 9: what real servers do that our fake did not, reproduced by the fake
/// and run through the built binary, so each answer is reported as the server meant it.
@Suite(.serialized) struct RealServerBehaviourEndToEndTests {
    /// Providers `p` (primary) and `b` (backup) speaking `api`, plus a small-window pair.
    static func yaml(_ api: String, extra: String = "") -> String {
        let path = api == "openai" ? "/v1" : ""
        return """
        providers:
          p: {api: \(api), base_url: http://127.0.0.1:PORT/p\(path), idle_timeout: 3s\(extra)}
          b: {api: \(api), base_url: http://127.0.0.1:PORT/b\(path)}
          small1: {api: openai, base_url: http://127.0.0.1:PORT/small1/v1}
          small2: {api: openai, base_url: http://127.0.0.1:PORT/small2/v1}
          slow1: {api: openai, base_url: http://127.0.0.1:PORT/slow1/v1}
          slow2: {api: openai, base_url: http://127.0.0.1:PORT/slow2/v1}
        models:
          pm: {provider: p, id: p-model, input: 2, output: 10, cached_input: 0.5, context: 100000}
          bm: {provider: b, id: b-model, input: 1, output: 2, context: 100000}
          s1: {provider: small1, id: s1, context: 4096}
          s2: {provider: small2, id: s2, context: 4096}
          w1: {provider: slow1, id: w1}
          w2: {provider: slow2, id: w2}
        routes:
          default: {retries: 0, targets: [pm], fallback: [bm]}
          solo: {retries: 0, targets: [pm]}
          small: {retries: 0, targets: [s1, s2]}
          slow: {strategy: fallback, retries: 2, max_attempts: 4, targets: [w1, w2], fallback: [bm]}
          capped: {strategy: fallback, retries: 0, max_attempts: 1, targets: [pm, bm]}
        """
    }

    func world(_ api: String, _ script: [String: [FakeBehaviour]], extra: String = "") throws -> FakeWorld {
        try FakeWorld(script: FakeScript(script), yaml: Self.yaml(api, extra: extra))
    }

    static func finishing(_ raw: String, text: String = "What are the names of") -> FakeBehaviour {
        var b = FakeBehaviour.answer(text)
        b.finish = raw
        return b
    }

    // 1. finish reasons

    @Test(arguments: [("openai", "length", "length"), ("anthropic", "max_tokens", "length"), ("gemini", "MAX_TOKENS", "length"),
                      ("openai", "content_filter", "content_filter"), ("gemini", "SAFETY", "content_filter"),
                      ("anthropic", "refusal", "content_filter")])
    func anAnswerCutShortSaysWhy(_ api: String, _ raw: String, _ normalized: String) throws {
        let w = try world(api, ["p": [Self.finishing(raw)]])
        let r = try w.run(["-r", "solo", "--json", "--max-tokens", "5", "hi"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["finish_reason"] as? String == normalized)
        #expect(r.json?["finish_reason_raw"] as? String == raw)
        #expect(r.stderr.split(separator: "\n").count == 1, "one line on stderr: \(r.stderr)")
        #expect(r.stderr.contains("finish reason \(normalized)"))
        let v = try w.run(["-r", "solo", "-v", "hi"])
        #expect(v.stderr.contains("finish \(normalized)"))
    }

    @Test func aNaturalEndSaysNothing() throws {
        let w = try world("anthropic", ["p": [.answer("Done.")]])
        let r = try w.run(["-r", "solo", "--json", "hi"])
        #expect(r.json?["finish_reason"] as? String == "stop")
        #expect(r.json?["finish_reason_raw"] as? String == "end_turn")
        #expect(r.stderr == "")
    }

    @Test func anEmptyAnswerFailsOverAndExits69WhenNothingIsLeft() throws {
        let w = try world("openai", ["p": [.answer("")], "b": [.answer("from the backup")]])
        let r = try w.run(["--json", "hi"])
        #expect(r.exitCode == 0)
        #expect(r.outcomes == ["empty", "ok"])
        #expect(r.json?["text"] as? String == "from the backup")
        let alone = try w.run(["-r", "solo", "hi"])
        #expect(alone.exitCode == 69)
    }

    // 2. the end marker ends the answer

    @Test(arguments: ["openai", "anthropic", "gemini"])
    func theEndMarkerEndsTheAnswerOnAnOpenConnection(_ api: String) throws {
        var held = FakeBehaviour.answer("complete answer")
        held.holdOpenMs = 10_000
        let w = try world(api, ["p": [held]])
        let r = try w.run(["-r", "solo", "--json", "hi"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["text"] as? String == "complete answer")
        #expect((r.json?["latency_ms"] as? Int ?? 99_999) < 3000, "it waited for idle_timeout")
    }

    /// gema sends Gemini's token counts one event after the finishReason one:
    /// they are read, not estimated, and a server that then holds the
    /// connection open is waited for only a short grace period.
    @Test(arguments: [0, 10_000])
    func geminiUsageAfterTheFinishEventIsRead(_ holdOpenMs: Int) throws {
        var b = FakeBehaviour.answer("counted answer")
        b.usageAfterFinish = true
        b.inputTokens = 12
        b.outputTokens = 3
        b.holdOpenMs = holdOpenMs
        let w = try world("gemini", ["p": [b]])
        let r = try w.run(["-r", "solo", "--json", "hi"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["text"] as? String == "counted answer")
        let usage = r.json?["usage"] as? [String: Any]
        #expect(usage?["input_tokens"] as? Int == 12, "\(r.stdout)")
        #expect(usage?["output_tokens"] as? Int == 3, "\(r.stdout)")
        #expect(usage?["estimated"] == nil, "counted by the server, not estimated: \(r.stdout)")
        #expect((r.json?["latency_ms"] as? Int ?? 99_999) < 3000, "it waited for idle_timeout")
    }

    /// A Gemini server that counts nothing and holds the connection open: the
    /// answer ends after the grace period, whole, with estimated counts.
    @Test func aGeminiServerThatNeverCountsIsWaitedForOnlyBriefly() throws {
        var b = FakeBehaviour.answer("uncounted answer")
        b.usage = .null
        b.holdOpenMs = 10_000
        let w = try world("gemini", ["p": [b]])
        let r = try w.run(["-r", "solo", "--json", "hi"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["text"] as? String == "uncounted answer")
        #expect((r.json?["usage"] as? [String: Any])?["estimated"] as? Bool == true, "\(r.stdout)")
        #expect((r.json?["latency_ms"] as? Int ?? 99_999) < 3000, "it waited for idle_timeout")
    }

    @Test(arguments: ["data: {\"choices\":[{\"delta\":{\"content\":\" and more\"}}]}\n\n", "data: {not json\n\n"])
    func whatFollowsTheEndMarkerIsIgnored(_ after: String) throws {
        var b = FakeBehaviour.answer("the answer")
        b.afterEnd = after
        let w = try world("openai", ["p": [b]])
        let r = try w.run(["-r", "solo", "--json", "hi"])
        #expect(r.exitCode == 0)
        #expect(r.json?["text"] as? String == "the answer")
    }

    @Test(arguments: ["openai", "anthropic", "gemini"])
    func aByteOrderMarkDoesNotCostTheFirstChunk(_ api: String) throws {
        var b = FakeBehaviour.answer("first second")
        b.bom = true
        let w = try world(api, ["p": [b]])
        let r = try w.run(["-r", "solo", "hi"])
        #expect(r.stdout == "first second\n", "\(r.stderr)")
    }

    // 3. usage and cost

    @Test func anthropicCachedTokensCountAndArePricedAtTheCachedPrice() throws {
        var b = FakeBehaviour.answer("cached")
        b.usage = .object([("input_tokens", 5), ("cache_read_input_tokens", 12), ("cache_creation_input_tokens", 5), ("output_tokens", 3)])
        let w = try world("anthropic", ["p": [b]])
        let r = try w.run(["-r", "solo", "--json", "hi"])
        let usage = try #require(r.json?["usage"] as? [String: Any])
        #expect(usage["input_tokens"] as? Int == 22)
        #expect(usage["cached_input_tokens"] as? Int == 12)
        #expect(usage["cache_write_tokens"] as? Int == 5)
        // 10 fresh input at $2, 12 cached at $0.5, 3 output at $10, per million.
        #expect(abs((r.json?["cost_usd"] as? Double ?? 0) - (10 * 2 + 12 * 0.5 + 3 * 10) / 1e6) < 1e-12)
    }

    @Test func openAIReasoningTokensAreKeptAndCountedAsOutput() throws {
        var b = FakeBehaviour.answer("thought")
        b.usage = .object([("prompt_tokens", 22), ("completion_tokens", 30),
                           ("prompt_tokens_details", .object([("cached_tokens", 16)])),
                           ("completion_tokens_details", .object([("reasoning_tokens", 25)]))])
        let w = try world("openai", ["p": [b]])
        let r = try w.run(["-r", "solo", "--json", "hi"])
        let usage = try #require(r.json?["usage"] as? [String: Any])
        #expect(usage["output_tokens"] as? Int == 30)
        #expect(usage["reasoning_tokens"] as? Int == 25)
        #expect(usage["cached_input_tokens"] as? Int == 16)
    }

    @Test(arguments: ["openai", "anthropic", "gemini"])
    func noUsageFromTheServerIsEstimatedAndSaysSo(_ api: String) throws {
        var b = FakeBehaviour.answer("an answer of some forty bytes, or so...")
        b.usage = .null
        let w = try world(api, ["p": [b]])
        let r = try w.run(["-r", "solo", "--json", "hi"])
        let usage = try #require(r.json?["usage"] as? [String: Any], "\(r.stdout)")
        #expect(usage["estimated"] as? Bool == true)
        #expect((usage["output_tokens"] as? Int ?? 0) > 0)
        #expect((r.json?["cost_usd"] as? Double ?? 0) > 0)
    }

    @Test func usageAndCostCoverEveryAttempt() throws {
        var broken = FakeBehaviour.answer("one two three four")
        broken.disconnectAfter = 2
        let w = try world("openai", ["p": [broken], "b": [.answer("whole answer")]])
        let r = try w.run(["--json", "hi"])
        #expect(r.exitCode == 0)
        let attempts = try #require(r.json?["attempts"] as? [[String: Any]])
        let perAttempt = attempts.compactMap { ($0["usage"] as? [String: Any])?["output_tokens"] as? Int }
        #expect(perAttempt.count == 2, "the broken attempt produced text and is billed: \(attempts)")
        #expect((r.json?["usage"] as? [String: Any])?["output_tokens"] as? Int == perAttempt.reduce(0, +))
        let costs = attempts.compactMap { $0["cost_usd"] as? Double }
        #expect(abs((r.json?["cost_usd"] as? Double ?? 0) - costs.reduce(0, +)) < 1e-12)
    }

    // 4. context overflow in other words

    @Test(arguments: ["llamacpp", "litellm", "vllm", "ollama", "openrouter"])
    func aContextOverflowInAnyServersWordsExits65WithoutTryingTheSameWindow(_ server: String) throws {
        let path = "\(#filePath)".replacingOccurrences(of: "EndToEndTests/RealServerBehaviourEndToEndTests.swift", with: "ProvidersTests/Fixtures/\(server)/error-context-length.json")
        let body = try String(contentsOfFile: path, encoding: .utf8)
        let w = try world("openai", ["small1": [.status(400, body: body)], "small2": [.answer("never")]])
        let r = try w.run(["-r", "small", "--json", "hi"])
        #expect(r.exitCode == 65, "\(server): \(r.stderr)")
        #expect(!w.server.requests.contains { $0.provider == "small2" })
    }

    // 5. slow failures

    @Test func slowFailuresLeaveTheFallbackItsAttempt() throws {
        var slow = FakeBehaviour.status(500)
        slow.delayMs = 300
        let w = try world("openai", ["slow1": [slow], "slow2": [slow], "b": [.answer("the healthy fallback")]])
        let r = try w.run(["-r", "slow", "--json", "hi"])
        #expect(r.exitCode == 0, "\(r.outcomes) \(r.stderr)")
        #expect(r.json?["text"] as? String == "the healthy fallback")
        #expect(r.outcomes.count <= 4)
    }

    @Test func whatWasNeverTriedIsListedWithWhy() throws {
        let w = try world("openai", ["p": [.status(503)], "b": [.answer("x")]])
        let r = try w.run(["-r", "capped", "--json", "hi"])
        #expect(r.exitCode == 69)
        let skipped = try #require(r.json?["skipped"] as? [[String: Any]])
        #expect(skipped.first?["model"] as? String == "bm")
        #expect((skipped.first?["reason"] as? String ?? "").contains("max_attempts"))
    }

    // 7. continuation

    @Test func aContinuationThatRestartsTheAnswerIsNotShownTwice() throws {
        var broken = FakeBehaviour.answer("The quick brown fox jumps over the lazy dog.")
        broken.disconnectAfter = 4
        var restarting = FakeBehaviour.answer("The quick brown fox jumps over the lazy dog.")
        restarting.ignorePrefill = true
        let w = try world("openai", ["p": [broken], "b": [restarting]], extra: "")
        let config = try String(contentsOfFile: w.configPath, encoding: .utf8)
            .replacingOccurrences(of: "b: {api: openai, base_url: http://127.0.0.1:\(w.server.port)/b/v1}",
                                  with: "b: {api: openai, base_url: http://127.0.0.1:\(w.server.port)/b/v1, continuation: prefix}")
        try config.write(toFile: w.configPath, atomically: true, encoding: .utf8)
        let r = try w.run(["--stream", "--max-tokens", "100", "hi"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout == "The quick brown fox jumps over the lazy dog.\n")
        // The continuing attempt asks only for what is left of --max-tokens.
        let sent = try #require(w.server.requests.last { $0.provider == "b" })
        let body = String(decoding: sent.body, as: UTF8.self)
        #expect(body.contains("\"max_tokens\":95"), "100 less the 5 shown: \(body)")
    }

    // 8. providers check without a model list

    @Test func aServerWithoutAModelListIsCheckedWithAOneTokenChat() throws {
        var b = FakeBehaviour.answer("pong")
        b.noModelList = true
        let w = try world("openai", ["p": [b]])
        let r = try LLMRProcess.run(["providers", "check", "p", "--json", "--config", w.configPath], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(r.exitCode == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("\"probe\":\"one-token chat with pm\""))
        let chat = try #require(w.server.requests.last)
        #expect(chat.path.hasSuffix("/chat/completions"))
        #expect(String(decoding: chat.body, as: UTF8.self).contains("\"max_tokens\":1"))
    }

    @Test func aJSONNotFoundIsNotCalledNotJSON() throws {
        var b = FakeBehaviour.answer("x")
        b.noModelList = true
        // No catalog model for a chat probe: the 404 is reported in its own words.
        let w = try FakeWorld(script: FakeScript(["p": [b]]),
                              yaml: "providers:\n  p: {api: anthropic, base_url: http://127.0.0.1:PORT/p}\n")
        let r = try LLMRProcess.run(["providers", "check", "p", "--config", w.configPath], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(r.exitCode == 69)
        #expect(r.stdout.contains("Not Found"), "\(r.stdout)")
        #expect(!r.stdout.contains("not JSON"))
    }
}

/// Issue 9, item 6: breakers and cooldowns per model for model failures, per provider for transport ones.
@Suite(.serialized) struct BreakerScopeEndToEndTests {
    static let yaml = """
    providers:
      gw: {api: openai, base_url: http://127.0.0.1:PORT/gw/v1}
      gone: {api: openai, base_url: http://127.0.0.1:1/v1}
    models:
      mock-500: {provider: gw, id: mock-500}
      mock-429: {provider: gw, id: mock-429}
      mock-gpt: {provider: gw, id: mock-gpt}
      gone-a: {provider: gone, id: a}
      gone-b: {provider: gone, id: b}
    routes:
      broken: {retries: 0, targets: [mock-500], fallback: [mock-gpt]}
      limited: {retries: 0, targets: [mock-429], fallback: [mock-gpt]}
      healthy: {retries: 0, targets: [mock-gpt]}
      gone: {retries: 0, targets: [gone-a], fallback: [mock-gpt]}
      gone-b: {retries: 0, targets: [gone-b], fallback: [mock-gpt]}
    breaker: {failures: 2, window: 60s, open_for: 300s}
    """

    @Test func oneFailingModelLeavesTheGatewaysOtherModelsAlone() throws {
        let w = try FakeWorld(script: FakeScript(["gw/mock-500": [.status(500)], "gw/mock-429": [.status(429, retryAfter: "60")],
                                                  "gw": [.answer("healthy model")]]), yaml: Self.yaml)
        for _ in 0..<2 { #expect(try w.run(["-r", "broken", "hi"]).exitCode == 0) }
        let third = try w.run(["-r", "broken", "--json", "hi"])
        #expect(third.outcomes == ["ok"])
        let skipped = try #require((third.json?["skipped"] as? [[String: Any]])?.first)
        #expect((skipped["reason"] as? String ?? "").contains("model breaker open"))
        #expect(try w.run(["-r", "limited", "hi"]).exitCode == 0)
        // The healthy model of the same gateway is neither broken nor cooling down.
        let healthy = try w.run(["-r", "healthy", "--json", "hi"])
        #expect(healthy.outcomes == ["ok"], "\(healthy.stdout)")
        #expect(healthy.json?["skipped"] == nil)
        // route and providers show the model's breaker and cooldown beside the provider's.
        let route = try LLMRProcess.run(["route", "--config", w.configPath, "-r", "broken", "hi"], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(route.stdout.contains("model open"), "\(route.stdout)")
        let list = try LLMRProcess.run(["providers", "--config", w.configPath], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(list.stdout.contains("mock-500 open"), "\(list.stdout)")
        #expect(list.stdout.contains("mock-429 cooling down"), "\(list.stdout)")
    }

    @Test func aProviderThatCannotBeReachedIsHeldBackWithAllItsModels() throws {
        let w = try FakeWorld(script: FakeScript(["gw": [.answer("fallback")]]), yaml: Self.yaml)
        for _ in 0..<2 { #expect(try w.run(["-r", "gone", "hi"]).exitCode == 0) }
        let other = try w.run(["-r", "gone-b", "--json", "hi"])
        let skipped = try #require((other.json?["skipped"] as? [[String: Any]])?.first, "\(other.stdout)")
        #expect((skipped["reason"] as? String ?? "").contains("provider breaker open"))
    }
}
