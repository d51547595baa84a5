import Testing
import Foundation
import RouterCore
@testable import Providers

@Suite struct GeminiWireTests {
    let provider = ProviderConfig(name: "gemini", api: .gemini, baseURL: "https://generativelanguage.googleapis.com", keyEnv: "GEMINI_API_KEY")
    let request = ChatRequest(messages: [Message(role: .system, content: "Be brief."), Message(role: .user, content: "Say \"hi\"\nplease")],
                              maxTokens: 64, temperature: 0.2)

    @Test func encodesTheRequestWeSend() throws {
        let http = GeminiWire().makeRequest(request, modelID: "gemini-2.5-pro", provider: provider, key: "g-key", stream: true)
        #expect(http.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse")
        #expect(http.header("x-goog-api-key") == "g-key")
        #expect(try JSONValue.parse(http.body) == Fixture.json("gemini/request-stream.json"))
        let whole = GeminiWire().makeRequest(request, modelID: "gemini-2.5-pro", provider: provider, key: "g-key", stream: false)
        #expect(whole.url.hasSuffix("/v1beta/models/gemini-2.5-pro:generateContent"))
        #expect(!GeminiWire().canContinue(provider))
    }

    @Test func assistantTurnsAreModelTurns() throws {
        let r = ChatRequest(messages: [Message(role: .user, content: "a"), Message(role: .assistant, content: "b"), Message(role: .user, content: "c")])
        let body = try JSONValue.parse(GeminiWire().makeRequest(r, modelID: "m", provider: provider, key: nil, stream: true).body)
        #expect(body["contents"]?.array?.compactMap { $0["role"]?.string } == ["user", "model", "user"])
        #expect(body["systemInstruction"] == nil)
        #expect(body["generationConfig"] == nil)
    }

    @Test func decodesTheStreamWithCRLF() {
        let d = GeminiWire().makeStreamDecoder()
        let events = d.feed(Fixture.bytes("gemini/stream-basic.sse")) + d.finish()
        #expect(events == [
            .text("Hel"), .usage(Usage(inputTokens: 9, outputTokens: 0)),
            .text("lo, wörld 😀"), .usage(Usage(inputTokens: 9, outputTokens: 0)),
            .usage(Usage(inputTokens: 9, outputTokens: 6, reasoningTokens: 2)), .finish(Finish(.stop, raw: "STOP")), .end,
        ])
    }

    /// A server that counts tokens in one more event after the finishReason one
    /// (gema does): the answer is whole, but the usage may still come.
    @Test func aFinishWithoutTheCountsSaysTheUsageMayFollow() {
        let d = GeminiWire().makeStreamDecoder()
        let sse = """
            data: {"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP","index":0}]}\r\n\r\n\
            data: {"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"index":0}],\
            "usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":3,"totalTokenCount":15}}\r\n\r\n
            """
        let events = d.feed(Array(sse.utf8)) + d.finish()
        #expect(events == [.text("Hi"), .finish(Finish(.stop, raw: "STOP")), .endUnlessUsageFollows,
                           .usage(Usage(inputTokens: 12, outputTokens: 3))])
    }

    @Test func aStreamWithoutAFinishReasonNeverEnds() {
        let text = Array(String(decoding: Fixture.bytes("gemini/stream-basic.sse"), as: UTF8.self)
            .components(separatedBy: "\r\n\r\n").prefix(2).joined(separator: "\r\n\r\n").utf8) + Array("\r\n\r\n".utf8)
        let d = GeminiWire().makeStreamDecoder()
        #expect(!(d.feed(text) + d.finish()).contains(.end))
    }

    @Test func decodesWholeAndBlockedResponses() {
        #expect(GeminiWire().decodeWhole(Fixture.bytes("gemini/response-basic.json"))
            == .success(WholeAnswer(text: "Hello!", usage: Usage(inputTokens: 9, outputTokens: 2), finish: Finish(.length, raw: "MAX_TOKENS"))))
        guard case .failure(let e) = GeminiWire().decodeWhole(Fixture.bytes("gemini/response-blocked.json")) else {
            Issue.record("a blocked prompt is no answer")
            return
        }
        #expect(e.message.contains("SAFETY"))
    }

    @Test func classifiesErrors() {
        #expect(GeminiWire().classify(status: 400, body: Fixture.bytes("gemini/error-context-length.json")).kind == .contextLength)
        let rate = GeminiWire().classify(status: 429, body: Fixture.bytes("gemini/error-rate-limit.json"))
        #expect(rate.kind == .rateLimit)
        #expect(rate.message == "Resource has been exhausted (e.g. check quota).")
        #expect(GeminiWire().classify(status: 503, body: Array(#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#.utf8)).kind == .overloaded)
    }

    @Test(arguments: [("STOP", FinishReason.stop), ("MAX_TOKENS", .length), ("SAFETY", .contentFilter),
                      ("RECITATION", .contentFilter), ("OTHER", .other)])
    func finishReasons(raw: String, reason: FinishReason) {
        #expect(GeminiWire.finishReason(raw) == reason)
    }
}
