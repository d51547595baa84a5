import Testing
import Foundation
import FakeProvider
import TestSupport

/// Every wire format, every way a stream can break, through the built binary.
@Suite(.serialized) struct WireFormatsEndToEndTests {
    static let apis = ["openai", "anthropic", "gemini"]

    /// A config with a primary and a backup speaking `api`, plus routes with and without the backup.
    static func yaml(_ api: String) -> String {
        """
        providers:
          primary: {api: \(api), base_url: http://127.0.0.1:PORT/primary\(api == "openai" ? "/v1" : ""), key_env: FAKE_KEY, idle_timeout: 1s, first_token_timeout: 1s}
          backup:  {api: \(api), base_url: http://127.0.0.1:PORT/backup\(api == "openai" ? "/v1" : ""), key_env: FAKE_KEY}
        models:
          p: {provider: primary, id: p-model, input: 1, output: 2}
          b: {provider: backup, id: b-model, input: 1, output: 2}
        routes:
          default: {retries: 0, targets: [p], fallback: [b]}
          solo: {retries: 0, targets: [p]}
        """
    }

    static let env = ["FAKE_KEY": "k-secret"]

    static func fault(_ name: String) -> FakeBehaviour {
        var b = FakeBehaviour.answer("one two three four five")
        switch name {
        case "truncated": b.truncateAfter = 2
        case "dropped": b.disconnectAfter = 2
        case "idle_timeout": b.stallAfter = 2; b.stallMs = 3000
        case "first_token_timeout": b.firstTokenDelayMs = 3000
        case "malformed": b.malformedAfter = 2
        case "stream_error": b.errorEventAfter = 2
        default: break
        }
        return b
    }

    @Test(arguments: apis)
    func plainAndStreamedAnswers(api: String) throws {
        var b = FakeBehaviour.answer("Hello from \(api).")
        b.requireKey = "k-secret"
        let w = try FakeWorld(script: FakeScript(["primary": [b]]), yaml: Self.yaml(api))
        let plain = try w.run(["--json", "hi"], environment: Self.env)
        #expect(plain.exitCode == 0)
        #expect(plain.json?["text"] as? String == "Hello from \(api).")
        #expect((plain.json?["usage"] as? [String: Any])?["output_tokens"] as? Int == 3)
        let streamed = try w.run(["--stream", "hi"], environment: Self.env)
        #expect(streamed.exitCode == 0)
        #expect(streamed.stdout == "Hello from \(api).\n")
    }

    @Test(arguments: apis, ["truncated", "dropped", "idle_timeout", "first_token_timeout", "malformed", "stream_error"])
    func brokenStreamsFailOver(api: String, fault: String) throws {
        let w = try FakeWorld(script: FakeScript(["primary": [Self.fault(fault)], "backup": [.answer("whole answer")]]), yaml: Self.yaml(api))
        let r = try w.run(["--json", "hi"], environment: Self.env)
        #expect(r.exitCode == 0, "\(api) \(fault): \(r.stderr)")
        #expect(r.outcomes == [fault, "ok"], "\(api) \(fault)")
        #expect(r.json?["text"] as? String == "whole answer")
    }

    @Test(arguments: apis, ["truncated", "dropped", "idle_timeout", "first_token_timeout", "malformed", "stream_error"])
    func brokenStreamsWithoutFallbackNeverSucceed(api: String, fault: String) throws {
        let w = try FakeWorld(script: FakeScript(["primary": [Self.fault(fault)]]), yaml: Self.yaml(api))
        let r = try w.run(["-r", "solo", "--json", "hi"], environment: Self.env)
        #expect(r.exitCode == 69, "\(api) \(fault)")
        #expect(r.outcomes == [fault], "\(api) \(fault)")
        #expect(r.json?["text"] == nil)
        let plain = try w.run(["-r", "solo", "hi"], environment: Self.env)
        #expect(plain.exitCode == 69)
        #expect(plain.stdout == "")
    }

    @Test(arguments: [("anthropic", 529, 69), ("anthropic", 429, 75), ("gemini", 503, 69), ("gemini", 401, 77), ("openai", 403, 77)])
    func errorStatusesMapToExitCodes(api: String, status: Int, code: Int32) throws {
        let w = try FakeWorld(script: FakeScript(["primary": [.status(status, retryAfter: status == 429 ? "600" : nil)]]), yaml: Self.yaml(api))
        let r = try w.run(["-r", "solo", "--json", "hi"], environment: Self.env)
        #expect(r.exitCode == code, "\(api) \(status): \(r.stderr)")
        #expect(r.outcomes == ["http_\(status)"])
    }

    /// An OpenAI-format primary whose live answer drops after two words, and a
    /// fallback of `api` (named `next`) that has the whole answer.
    func brokenThenFallback(_ api: String, base: String, options: String = "") throws -> (FakeWorld, LLMRRun) {
        let yaml = """
        providers:
          primary: {api: openai, base_url: http://127.0.0.1:PORT/primary/v1}
          next:    {api: \(api), base_url: http://127.0.0.1:PORT/next\(base), key_env: FAKE_KEY\(options)}
        models:
          p: {provider: primary, id: p-model}
          n: {provider: next, id: n-model}
        routes:
          default: {retries: 0, targets: [p], fallback: [n]}
        """
        var broken = FakeBehaviour.answer("one two three four")
        broken.disconnectAfter = 2
        let w = try FakeWorld(script: FakeScript(["primary": [broken], "next": [.answer("one two three four")]]), yaml: yaml)
        return (w, try w.run(["--stream", "count"], environment: Self.env))
    }

    @Test func aBrokenLiveAnswerIsContinuedByAnthropic() throws {
        let (w, r) = try brokenThenFallback("anthropic", base: "")
        #expect(r.exitCode == 0)
        #expect(r.stdout == "one two three four\n") // one answer, no seam
        #expect(r.stderr.contains("the answer from p broke off after 8 bytes (dropped); n continues it"), "\(r.stderr)")
        let sent = try #require(w.server.requests.last?.bodyText)
        #expect(sent.contains(#"{"role":"assistant","content":"one two"}"#)) // the prefill, trailing space trimmed
    }

    /// On a terminal the notice starts on a line of its own, and the answer resumes after it.
    @Test func onATerminalTheContinuationNoticeHasALineOfItsOwn() throws {
        let (w, _) = try brokenThenFallback("anthropic", base: "")
        let tty = try TerminalRun.run(["ask", "--config", w.configPath, "count"], environment: Self.env.merging(["LLMR_STATE_DIR": w.stateDirectory]) { $1 })
        #expect(tty.exitCode == 0)
        #expect(tty.stdout.contains("one two \r\nllmr: the answer from p broke off"), "\(tty.stdout.debugDescription)")
        #expect(tty.stdout.contains("continues it\r\nthree four"), "\(tty.stdout.debugDescription)")
    }

    @Test func aBrokenLiveAnswerIsContinuedByAPrefixServer() throws {
        let (w, r) = try brokenThenFallback("openai", base: "/v1", options: ", continuation: prefix")
        #expect(r.exitCode == 0)
        #expect(r.stdout == "one two three four\n")
        let sent = try #require(w.server.requests.last?.bodyText)
        #expect(sent.contains(#"{"role":"assistant","content":"one two ","prefix":true}"#))
    }

    @Test func aBrokenLiveAnswerRestartsOnAPlainOpenAIServer() throws {
        let (w, r) = try brokenThenFallback("openai", base: "/v1")
        // Without `continuation:` an OpenAI-format server cannot continue: the answer restarts.
        #expect(r.exitCode == 0)
        #expect(r.stdout == "one two \none two three four\n")
        #expect(w.server.requests.last?.bodyText.contains("assistant") == false)
    }

    @Test func aBrokenLiveAnswerRestartsOnGemini() throws {
        let (_, r) = try brokenThenFallback("gemini", base: "")
        #expect(r.exitCode == 0)
        #expect(r.stdout == "one two \none two three four\n")
        #expect(r.stderr.contains("it starts again below, on n"))
        #expect(r.stderr.contains("the complete answer is the one after the last break"))
    }
}
