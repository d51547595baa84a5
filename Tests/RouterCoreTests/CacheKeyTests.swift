import Testing
@testable import RouterCore

@Suite struct CacheKeyTests {
    func request(_ text: String, system: String? = nil, maxTokens: Int? = nil, temperature: Double? = nil) -> ChatRequest {
        var messages = [Message(role: .user, content: text)]
        if let system { messages.insert(Message(role: .system, content: system), at: 0) }
        return ChatRequest(messages: messages, maxTokens: maxTokens, temperature: temperature)
    }

    @Test func equalRequestsShareAKeyAndAnyDifferenceChangesIt() {
        let base = CacheKey(selection: "route:default", request: request("hi", maxTokens: 10, temperature: 0.5), seed: 7)
        #expect(base == CacheKey(selection: "route:default", request: request("hi", maxTokens: 10, temperature: 0.5), seed: 7))
        let others = [
            CacheKey(selection: "route:other", request: request("hi", maxTokens: 10, temperature: 0.5), seed: 7),
            CacheKey(selection: "route:default", request: request("hi!", maxTokens: 10, temperature: 0.5), seed: 7),
            CacheKey(selection: "route:default", request: request("hi", system: "be brief", maxTokens: 10, temperature: 0.5), seed: 7),
            CacheKey(selection: "route:default", request: request("hi", maxTokens: 11, temperature: 0.5), seed: 7),
            CacheKey(selection: "route:default", request: request("hi", maxTokens: 10, temperature: 0.6), seed: 7),
            CacheKey(selection: "route:default", request: request("hi", maxTokens: 10, temperature: 0.5), seed: 8),
            CacheKey(selection: "route:default", request: request("hi", maxTokens: 10, temperature: 0.5), seed: nil),
        ]
        for o in others { #expect(o.text != base.text, "\(o.text)") }
        #expect(Set(others.map(\.hash)).count == others.count)
    }

    @Test func theKeyIsCanonicalJSONWithSortedKeys() {
        let k = CacheKey(selection: "model:m", request: request("a \"quoted\" word", maxTokens: 5), seed: nil)
        #expect(k.text == #"{"max_tokens":5,"messages":[{"content":"a \"quoted\" word","role":"user"}],"selection":"model:m"}"#)
        #expect(CacheKey(canonical: k.text) == k)
        #expect(k.summary == "a \"quoted\" word")
    }

    func result(finish: FinishReason = .stop, failure: Bool = false, broken: Bool = false, continued: Bool = false, text: String = "ok") -> RouteResult {
        var r = RouteResult(route: "default", attempts: [])
        r.pieces = [text]
        r.provider = "p"
        r.model = "m"
        r.finish = Finish(finish, raw: finish.rawValue)
        if failure { r.failure = RouteFailure(kind: .exhausted, message: "x") }
        r.brokenOff = broken
        r.continued = continued
        return r
    }

    @Test func onlyWholeAnswersAreKept() {
        #expect(CachedAnswer.storable(result(), at: 1)?.text == "ok")
        #expect(CachedAnswer.storable(result(finish: .length), at: 1) == nil)
        #expect(CachedAnswer.storable(result(finish: .contentFilter), at: 1) == nil)
        #expect(CachedAnswer.storable(result(failure: true), at: 1) == nil)
        #expect(CachedAnswer.storable(result(broken: true), at: 1) == nil)
        #expect(CachedAnswer.storable(result(continued: true), at: 1) == nil)
        #expect(CachedAnswer.storable(result(text: ""), at: 1) == nil)
    }

    @Test func modesAndTheirConfig() throws {
        #expect(CacheMode.readWrite.reads && CacheMode.readWrite.writes)
        #expect(CacheMode.readOnly.reads && !CacheMode.readOnly.writes)
        #expect(!CacheMode.writeOnly.reads && CacheMode.writeOnly.writes)
        let c = try ConfigLoader.load(yaml: "providers:\n  p: {api: openai, base_url: http://x/v1}\ncache: {mode: read-only, ttl: 2h}\n", source: "c.yaml")
        #expect(c.cache.mode == .readOnly && c.cache.ttl == 7200)
        #expect(throws: ConfigError.self) { try ConfigLoader.load(yaml: "providers:\n  p: {api: openai, base_url: http://x/v1}\ncache: {mode: sometimes}\n", source: "c.yaml") }
    }
}
