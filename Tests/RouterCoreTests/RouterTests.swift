import Testing
import Providers
import TestSupport
@testable import RouterCore

@Suite struct RouterTests {
    let config: Config = {
        let yaml = """
        providers:
          a: {api: openai, base_url: http://a/v1, key_env: A_KEY}
          b: {api: openai, base_url: http://b/v1, key_env: B_KEY}
          g: {api: gemini, base_url: http://g, key_env: G_KEY}
          bp: {api: openai, base_url: http://b/v1, key_env: B_KEY, continuation: prefix}
        models:
          ma: {provider: a, input: 1, output: 2}
          mb: {provider: b, input: 1, output: 2}
          mg: {provider: g}
          mbp: {provider: bp}
        routes:
          default: {strategy: fallback, retries: 1, targets: [ma], fallback: [mb]}
          solo: {strategy: fallback, retries: 2, targets: [ma]}
          withg: {strategy: fallback, targets: [mg, mb]}
          continuing: {strategy: fallback, retries: 0, targets: [ma], fallback: [mbp]}
        """
        do { return try ConfigLoader.load(yaml: yaml, source: "t") } catch { fatalError("\(error)") }
    }()

    func run(_ route: String, _ replies: [String: [ScriptedTransport.Reply]], keys: [String: String] = ["a": "ka", "b": "kb", "g": "kg", "bp": "kb"],
             live: Bool = false) async throws -> (RouteResult, [RouterEvent], ManualClock, ScriptedTransport) {
        let clock = ManualClock()
        let transport = ScriptedTransport(replies, clock: clock)
        let router = Router(transport: transport, wires: Wires.all, keys: FixedKeys(keys), clock: clock)
        var rng = SeededRandom(seed: 3)
        let request = ChatRequest(messages: [Message(role: .user, content: "hi")])
        let plan = try Planner(config: config).plan(request, selection: .route(route), using: &rng)
        var events: [RouterEvent] = []
        let result = await router.execute(plan, request: request, live: live, using: &rng) { events.append($0) }
        return (result, events, clock, transport)
    }

    static let err503 = ScriptedTransport.Reply.response(status: 503, headers: [], chunks: [#"{"error":{"message":"busy"}}"#])

    @Test func answerOnFirstTarget() async throws {
        let (r, _, _, t) = try await run("default", ["http://a": [ScriptedTransport.openAIStream("Hello there")]])
        #expect(r.text == "Hello there")
        #expect(r.failure == nil)
        #expect(r.fallback == false)
        #expect(r.usage == Usage(inputTokens: 10, outputTokens: 5))
        #expect(r.costUSD == Double(10 * 1 + 5 * 2) / 1_000_000)
        #expect(t.sent.first?.header("authorization") == "Bearer ka")
    }

    @Test func fiveOhThreeFallsBackAtOnce() async throws {
        let (r, _, clock, _) = try await run("default", ["http://a": [Self.err503], "http://b": [ScriptedTransport.openAIStream("from b")]])
        #expect(r.text == "from b")
        #expect(r.fallback)
        #expect(r.attempts.map(\.outcome) == [.http(503), .ok])
        #expect(clock.sleeps.isEmpty) // moved on without sleeping
    }

    @Test func retryAfterIsWaitedWhenNoOtherTarget() async throws {
        let (r, _, clock, _) = try await run("solo", ["http://a": [
            .response(status: 429, headers: [("Retry-After", "3")], chunks: ["{}"]),
            ScriptedTransport.openAIStream("ok now"),
        ]])
        #expect(r.text == "ok now")
        #expect(r.attempts.first?.retryAfterS == 3)
        #expect(clock.sleeps.count == 1)
        #expect(clock.now() >= 3)
    }

    @Test func truncatedStreamIsAFailureNeverASuccess() async throws {
        let (r, _, _, _) = try await run("solo", ["http://a": [ScriptedTransport.openAIStream("half an", done: false)]])
        #expect(r.text == nil)
        #expect(r.failure?.kind == .exhausted)
        #expect(r.attempts.map(\.outcome) == [.truncated, .truncated, .truncated])
    }

    @Test func droppedThenFallback() async throws {
        let (r, _, _, _) = try await run("default", [
            "http://a": [.failure(.dropped("connection reset"), afterChunks: ["data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n"])],
            "http://b": [ScriptedTransport.openAIStream("whole")],
        ])
        #expect(r.text == "whole")
        #expect(r.attempts.first?.outcome == .dropped)
    }

    @Test func liveRestartIsReported() async throws {
        let (r, events, _, _) = try await run("default", [
            "http://a": [.failure(.dropped("reset"), afterChunks: ["data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n"])],
            "http://b": [ScriptedTransport.openAIStream("whole")],
        ], live: true)
        #expect(r.brokenOff) // OpenAI's own API cannot continue: the answer started again
        #expect(r.text == "whole")
        #expect(events.contains { if case .resuming(_, 3, false, _) = $0 { return true } else { return false } })
    }

    @Test func aBrokenAnswerIsContinuedWhereTheNextAPIAllowsIt() async throws {
        let (r, events, _, t) = try await run("continuing", [
            "http://a": [.failure(.dropped("reset"), afterChunks: ["data: {\"choices\":[{\"delta\":{\"content\":\"Hello \"}}]}\n\n"])],
            "http://b": [ScriptedTransport.openAIStream(" wide world")],
        ], live: true)
        #expect(r.text == "Hello wide world") // the repeated space is dropped
        #expect(r.continued)
        #expect(!r.brokenOff)
        #expect(events.contains { if case .resuming(_, 6, true, _) = $0 { return true } else { return false } })
        let body = try JSONValue.parse(try #require(t.sent.last).body)
        let last = try #require(body["messages"]?.array?.last)
        #expect(last["role"]?.string == "assistant")
        #expect(last["content"]?.string == "Hello ")
        #expect(last["prefix"]?.bool == true)
    }

    @Test func withoutLiveOutputNothingIsContinued() async throws {
        let (r, _, _, t) = try await run("continuing", [
            "http://a": [.failure(.dropped("reset"), afterChunks: ["data: {\"choices\":[{\"delta\":{\"content\":\"Hello \"}}]}\n\n"])],
            "http://b": [ScriptedTransport.openAIStream("Hello world")],
        ])
        #expect(r.text == "Hello world")
        #expect(!r.continued)
        let body = try JSONValue.parse(try #require(t.sent.last).body)
        #expect(body["messages"]?.array?.last?["role"]?.string == "user")
    }

    @Test func everyCandidateRefusesCredentials() async throws {
        let e401 = ScriptedTransport.Reply.response(status: 401, headers: [], chunks: [#"{"error":{"message":"bad key"}}"#])
        let (r, _, _, _) = try await run("default", ["http://a": [e401], "http://b": [e401]])
        #expect(r.failure?.kind == .credentials)
        #expect(r.attempts.count == 2) // 401 is never retried
    }

    @Test func promptsTooLargeForSomeGoToTheOthers() async throws {
        let yaml = """
        providers:
          a: {api: openai, base_url: http://a/v1}
          b: {api: openai, base_url: http://b/v1}
        models:
          small: {provider: a, context: 10}
          big: {provider: b, context: 100000}
        routes:
          default: {targets: [small, big]}
        """
        let config = try ConfigLoader.load(yaml: yaml, source: "t")
        let clock = ManualClock()
        let transport = ScriptedTransport(["http://b": [ScriptedTransport.openAIStream("fits")]], clock: clock)
        let router = Router(transport: transport, wires: Wires.all, keys: FixedKeys([:]), clock: clock)
        var rng = SeededRandom(seed: 1)
        let request = ChatRequest(messages: [Message(role: .user, content: String(repeating: "word ", count: 100))])
        let plan = try Planner(config: config).plan(request, selection: .automatic, using: &rng)
        let r = await router.execute(plan, request: request, live: false, using: &rng) { _ in }
        #expect(r.text == "fits")
        #expect(r.skipped.first?.reason.hasPrefix("context window 10 tokens is too small") == true)
        #expect(transport.sent.count == 1)
    }

    @Test func aContextLengthErrorGoesOnToALargerWindowOnly() async throws {
        let yaml = """
        providers:
          a: {api: openai, base_url: http://a/v1}
          b: {api: openai, base_url: http://b/v1}
          c: {api: openai, base_url: http://c/v1}
        models:
          mid: {provider: a, context: 8000}
          same: {provider: b, context: 8000}
          big: {provider: c, context: 200000}
        routes:
          default: {strategy: fallback, targets: [mid, same, big]}
        """
        let config = try ConfigLoader.load(yaml: yaml, source: "t")
        let clock = ManualClock()
        let tooLong = ScriptedTransport.Reply.response(status: 400, headers: [], chunks: [
            #"{"error":{"message":"This model's maximum context length is 8000 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}"#,
        ])
        let transport = ScriptedTransport(["http://a": [tooLong], "http://b": [tooLong], "http://c": [ScriptedTransport.openAIStream("big enough")]], clock: clock)
        let router = Router(transport: transport, wires: Wires.all, keys: FixedKeys([:]), clock: clock)
        var rng = SeededRandom(seed: 1)
        let request = ChatRequest(messages: [Message(role: .user, content: "a prompt the estimate thinks is short")])
        let plan = try Planner(config: config).plan(request, selection: .automatic, using: &rng)
        let r = await router.execute(plan, request: request, live: false, using: &rng) { _ in }
        #expect(r.text == "big enough")
        #expect(r.attempts.map(\.provider) == ["a", "c"]) // b's window is no larger than a's: skipped
        #expect(r.attempts.first?.errorKind == .contextLength)
        #expect(r.skipped.map(\.provider) == ["b"])
    }

    @Test func maxCostRefusesBeforeSendingAndCountsWhatWasSpent() async throws {
        // ma and mb cost $1/M in and $2/M out: 500 output tokens are $0.001.
        var rng = SeededRandom(seed: 3)
        let clock = ManualClock()
        let transport = ScriptedTransport(["http://a": [Self.err503], "http://b": [ScriptedTransport.openAIStream("x")]], clock: clock)
        var router = Router(transport: transport, wires: Wires.all, keys: FixedKeys(["a": "k", "b": "k"]), clock: clock)
        let request = ChatRequest(messages: [Message(role: .user, content: "hi")], maxTokens: 500)
        let plan = try Planner(config: config).plan(request, selection: .route("default"), using: &rng)
        router.maxCost = 0.0005
        let refused = await router.execute(plan, request: request, live: false, using: &rng) { _ in }
        #expect(refused.failure?.kind == .budget)
        #expect(transport.sent.isEmpty)
        #expect(refused.failure?.message.contains("worst case $0.001") == true)
        router.maxCost = 0.01
        let allowed = await router.execute(plan, request: request, live: false, using: &rng) { _ in }
        #expect(allowed.text == "x")
    }

    @Test func missingKeyIsNamedAndCountsAsCredentials() async throws {
        let (r, _, _, t) = try await run("default", [:], keys: [:])
        #expect(t.sent.isEmpty)
        #expect(r.failure?.kind == .credentials)
        #expect(r.failure?.message.contains("A_KEY is not set") == true)
    }

    @Test func rateLimitedEverywhereIsTemporary() async throws {
        let e429 = ScriptedTransport.Reply.response(status: 429, headers: [("Retry-After", "600")], chunks: ["{}"])
        let (r, _, _, _) = try await run("default", ["http://a": [e429], "http://b": [e429]])
        #expect(r.failure?.kind == .temporary)
    }

    @Test func refusedConnectionMovesOnWithoutRetry() async throws {
        let (r, _, _, _) = try await run("default", ["http://a": [.failure(.connectionRefused("refused"))], "http://b": [ScriptedTransport.openAIStream("b")]])
        #expect(r.attempts.map(\.outcome) == [.connect, .ok])
    }

    @Test func aProviderWithoutKeyIsSkipped() async throws {
        let (r, _, _, _) = try await run("withg", ["http://b": [ScriptedTransport.openAIStream("b")]], keys: ["b": "kb"])
        #expect(r.skipped.map(\.availability) == [.noKey("G_KEY is not set (provider g needs it)")])
        #expect(r.attempts.map(\.outcome) == [.ok])
        #expect(r.text == "b")
    }

    @Test func malformedEventFailsTheAttempt() async throws {
        let bad = ScriptedTransport.Reply.response(status: 200, headers: [("Content-Type", "text/event-stream")], chunks: ["data: {nope\n\n", "data: [DONE]\n\n"])
        let (r, _, _, _) = try await run("default", ["http://a": [bad], "http://b": [ScriptedTransport.openAIStream("b")]])
        #expect(r.attempts.prefix(1).map(\.outcome) == [.malformed])
        #expect(r.text == "b")
    }

    @Test func serverAnsweringWholeJSONDespiteStreamIsAccepted() async throws {
        let whole = ScriptedTransport.Reply.response(status: 200, headers: [("Content-Type", "application/json")],
                                                     chunks: [#"{"choices":[{"message":{"content":"whole"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#])
        let (r, _, _, _) = try await run("default", ["http://a": [whole]])
        #expect(r.text == "whole")
    }
}
