import Foundation
@testable import Providers
import RouterCore
import Testing

/// The gateway's format translations: request bodies as the OpenAI and
/// Anthropic Python SDKs send them (captured, under Fixtures/sdk-requests)
/// into llmr's request, and llmr's answers into each format's objects and events.
struct ServerFormatTests {
    @Test func openAIWhole() throws {
        let r = try OpenAIServer.decode(Fixture.bytes("sdk-requests/openai-whole.json"))
        #expect(r.model == "default")
        #expect(!r.stream)
        #expect(r.request.messages == [Message(role: .system, content: "Be brief."), Message(role: .user, content: "Hello")])
        #expect(r.request.maxTokens == nil)
    }

    @Test func openAIStreamedWithUsage() throws {
        let r = try OpenAIServer.decode(Fixture.bytes("sdk-requests/openai-streamed.json"))
        #expect(r.model == "fast")
        #expect(r.stream && r.includeUsage)
        #expect(r.request.maxTokens == 50)
        #expect(r.request.temperature == 0.2)
    }

    @Test func openAIPartsDeveloperSchemaAndStop() throws {
        let r = try OpenAIServer.decode(Fixture.bytes("sdk-requests/openai-parts-schema-stop.json"))
        #expect(r.model == "openai/gpt-4o")
        #expect(r.request.messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(r.request.messages[1].content == "Weather in Oslo")
        #expect(r.request.maxTokens == 100)
        #expect(r.request.stop == ["\n\n"])
        #expect(r.request.schema?.name == "weather")
        #expect(r.request.schema?.strict == true)
        #expect(r.request.schema?.schema.validate(try JSONValue.parse(#"{"city":"Oslo"}"#)) == nil)
    }

    @Test func anthropicWholeAndStreamed() throws {
        let whole = try AnthropicServer.decode(Fixture.bytes("sdk-requests/anthropic-whole.json"))
        #expect(whole.model == "default")
        #expect(whole.request.maxTokens == 1024)
        #expect(!whole.stream)
        let streamed = try AnthropicServer.decode(Fixture.bytes("sdk-requests/anthropic-streamed-system-blocks.json"))
        #expect(streamed.stream)
        #expect(streamed.request.systemPrompt == "Be brief.")
        #expect(streamed.request.messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(streamed.request.stop == ["END"])
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let anthropic: Bool
        let body: String
        let says: String
        var testDescription: String { body }
    }

    static let refusals: [Refusal] = [
        Refusal(anthropic: false, body: "not json", says: "not JSON"),
        Refusal(anthropic: false, body: "[]", says: "JSON object"),
        Refusal(anthropic: false, body: #"{"messages":[{"role":"user","content":"x"}]}"#, says: "model is required"),
        Refusal(anthropic: false, body: #"{"model":"m","messages":[]}"#, says: "non-empty"),
        Refusal(anthropic: false, body: #"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#, says: "'tool' is not relayed"),
        Refusal(anthropic: false, body: #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#, says: "'image_url' content"),
        Refusal(anthropic: false, body: #"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}"#, says: "max_tokens"),
        Refusal(anthropic: false, body: #"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3}"#, says: "temperature"),
        Refusal(anthropic: false, body: #"{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}"#, says: "n must be 1"),
        Refusal(anthropic: false, body: #"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{}]}"#, says: "tools"),
        Refusal(anthropic: false, body: #"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"text"}}}}"#, says: "cannot be used"),
        Refusal(anthropic: false, body: #"{"model":"m","messages":[{"role":"system","content":"x"}]}"#, says: "user message"),
        Refusal(anthropic: true, body: #"{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":"x"}]}"#, says: "first message"),
        Refusal(anthropic: true, body: #"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image"}]}]}"#, says: "'image' content"),
        Refusal(anthropic: true, body: #"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":1.5}"#, says: "temperature"),
        Refusal(anthropic: true, body: #"{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}"#, says: "stream"),
    ]

    @Test(arguments: refusals) func badRequestsAre400WithWhatIsWrong(_ r: Refusal) {
        do {
            _ = r.anthropic ? try AnthropicServer.decode(Array(r.body.utf8)) : try OpenAIServer.decode(Array(r.body.utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.contains(r.says), "\(error.message)")
        }
    }

    static func answer(_ text: String, finish: FinishReason = .stop) -> RouteResult {
        var r = RouteResult(route: "default", attempts: [])
        r.pieces = [text]
        r.provider = "p"
        r.model = "m"
        r.usage = Usage(inputTokens: 12, outputTokens: 3)
        r.finish = Finish(finish, raw: finish.rawValue)
        return r
    }

    @Test func openAIAnswers() throws {
        let whole = OpenAIServer.whole(Self.answer("Hi there", finish: .length), model: "default", id: "chatcmpl-1", created: 1_700_000_000)
        #expect(whole["object"]?.string == "chat.completion")
        #expect(whole["choices"]?[0]?["message"]?["content"]?.string == "Hi there")
        #expect(whole["choices"]?[0]?["finish_reason"]?.string == "length")
        #expect(whole["usage"]?["total_tokens"]?.int == 15)
        var s = OpenAIServer.Stream(id: "chatcmpl-1", created: 1, model: "default", includeUsage: true)
        let text = s.text("Hi") + s.text(" there") + s.end(Self.answer("Hi there"))
        let events = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.last == "data: [DONE]")
        #expect(events.count == 6, "role, two texts, finish, usage, [DONE]: \(events)")
        let usage = try JSONValue.parse(String(events[4].dropFirst(6)))
        #expect(usage["choices"]?.array?.isEmpty == true)
        #expect(usage["usage"]?["completion_tokens"]?.int == 3)
        // A broken answer ends with an error object and never [DONE].
        var broken = OpenAIServer.Stream(id: "c", created: 1, model: "m", includeUsage: false)
        let cut = broken.text("Hi") + broken.failed("the provider broke off")
        #expect(!cut.contains("[DONE]"))
        #expect(cut.contains(#""error":{"message":"the provider broke off""#))
    }

    @Test func anthropicAnswers() throws {
        let whole = AnthropicServer.whole(Self.answer("Hi", finish: .length), model: "default", id: "msg_1")
        #expect(whole["type"]?.string == "message")
        #expect(whole["content"]?[0]?["text"]?.string == "Hi")
        #expect(whole["stop_reason"]?.string == "max_tokens")
        var s = AnthropicServer.Stream(id: "msg_1", model: "default")
        let text = s.text("Hi") + s.end(Self.answer("Hi"))
        let names = text.components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
        #expect(names == ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"])
        var broken = AnthropicServer.Stream(id: "msg_2", model: "default")
        let cut = broken.text("Hi") + broken.failed("gone")
        #expect(cut.hasSuffix("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"gone\"}}\n\n"))
        #expect(!cut.contains("message_stop"))
    }

    /// A client's stop sequences reach every provider in its own field, and are part of the cache key.
    @Test func stopReachesEveryWire() throws {
        let request = ChatRequest(messages: [Message(role: .user, content: "x")], stop: ["END"])
        let forms: [(WireAPI, any WireFormat, String)] = [(.openai, OpenAIWire(), #""stop":["END"]"#),
                                                          (.anthropic, AnthropicWire(), #""stop_sequences":["END"]"#),
                                                          (.gemini, GeminiWire(), #""stopSequences":["END"]"#)]
        for (api, wire, expected) in forms {
            let body = String(decoding: wire.makeRequest(request, modelID: "m", provider: ProviderConfig(name: "p", api: api, baseURL: "http://x"),
                                                         key: nil, stream: true).body, as: UTF8.self)
            #expect(body.contains(expected), "\(api): \(body)")
        }
        let plain = ChatRequest(messages: [Message(role: .user, content: "x")])
        #expect(CacheKey(selection: "route:d", request: request, seed: nil) != CacheKey(selection: "route:d", request: plain, seed: nil))
    }

    @Test func failuresMapToStatuses() {
        var r = RouteResult(route: "x", attempts: [AttemptRecord(provider: "p", model: "m", modelID: "m", tier: .primary, outcome: .http(429), retryAfterS: 2.2)])
        r.failure = RouteFailure(kind: .temporary, message: "rate-limited")
        #expect(ServedFailure.status(r.failure!) == 429)
        #expect(ServedFailure.retryAfter(r) == 3)
        #expect(ServedFailure.status(RouteFailure(kind: .exhausted, message: "")) == 502)
        #expect(ServedFailure.status(RouteFailure(kind: .invalidOutput, message: "")) == 502)
        #expect(ServedFailure.status(RouteFailure(kind: .budget, message: "")) == 429)
        #expect(ServedFailure.status(RouteFailure(kind: .tooLarge, message: "")) == 400)
        #expect(OpenAIServer.error(status: 401, message: "no")["error"]?["code"]?.string == "invalid_api_key")
        #expect(AnthropicServer.error(status: 413, message: "big")["error"]?["type"]?.string == "request_too_large")
    }

    /// With LLMR_SDK_CHECK_DIR set, the encoded answers are written there, for
    /// scripts/check-sdk-parsing.py to read with the real SDKs' own types.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LLMR_SDK_CHECK_DIR"] != nil)) func writeAnswersForTheSDKs() throws {
        let dir = ProcessInfo.processInfo.environment["LLMR_SDK_CHECK_DIR"] ?? "/tmp"
        func put(_ name: String, _ text: String) throws { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        try put("openai-whole.json", OpenAIServer.whole(Self.answer("Hi there"), model: "default", id: "chatcmpl-1", created: 1_700_000_000).serialized())
        var o = OpenAIServer.Stream(id: "chatcmpl-1", created: 1_700_000_000, model: "default", includeUsage: true)
        try put("openai-stream.txt", o.text("Hi") + o.text(" there") + o.end(Self.answer("Hi there")))
        try put("anthropic-whole.json", AnthropicServer.whole(Self.answer("Hi there"), model: "default", id: "msg_1").serialized())
        var a = AnthropicServer.Stream(id: "msg_1", model: "default")
        try put("anthropic-stream.txt", a.text("Hi") + a.text(" there") + a.end(Self.answer("Hi there")))
        var ob = OpenAIServer.Stream(id: "chatcmpl-2", created: 1_700_000_000, model: "default", includeUsage: true)
        try put("openai-broken.txt", ob.text("Hi") + ob.failed("the provider broke off"))
        var ab = AnthropicServer.Stream(id: "msg_2", model: "default")
        try put("anthropic-broken.txt", ab.text("Hi") + ab.failed("the provider broke off"))
        try put("openai-error.json", OpenAIServer.error(status: 429, message: "slow down").serialized())
        try put("anthropic-error.json", AnthropicServer.error(status: 429, message: "slow down").serialized())
    }
}
