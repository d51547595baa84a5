import RouterCore
import TestSupport
import Testing
@testable import Engine

@Suite struct HealthCheckTests {
    @Test func eachProviderIsProbedAndTheResultFeedsItsBreaker() async throws {
        let models = ScriptedTransport.Reply.response(status: 200, headers: [("Content-Type", "application/json")], chunks: [#"{"data":[]}"#])
        let w = try EngineWorld(["http://a/v1/models": [models], "http://b/v1/models": [EngineWorld.busy]])
        let providers = w.context.config.providers.filter { $0.name != "bare" }
        let probes = await HealthCheck(context: w.context).probeAll(providers)
        #expect(probes.map(\.provider) == ["a", "b"])
        #expect(probes.map(\.outcome) == [.ok, .http(503)])
        #expect(probes.allSatisfy { $0.via == "model list" })
        // Recorded as health checks of the provider as a whole.
        let rows = w.store.rows
        #expect(rows.map(\.route) == [RecordedRoute.check, RecordedRoute.check])
        #expect(rows.allSatisfy { $0.attempt.modelID == RecordedRoute.checkModel })
        #expect(w.transport.sent.allSatisfy { $0.method == "GET" })
    }

    @Test func aServerWithoutAModelListGetsOneTokenOfChatThroughTheRouter() async throws {
        let none = ScriptedTransport.Reply.response(status: 404, headers: [], chunks: ["not found"])
        let chat = ScriptedTransport.Reply.response(status: 200, headers: [("Content-Type", "application/json")],
                                                    chunks: [#"{"choices":[{"message":{"content":"p"},"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#])
        let w = try EngineWorld(["http://a/v1/models": [none], "http://a/v1/chat": [chat]])
        let probes = await HealthCheck(context: w.context).probeAll(w.context.config.providers.filter { $0.name == "a" })
        let probe = try #require(probes.first)
        #expect(probe.outcome == .ok)
        #expect(probe.via == "one-token chat with ma")
        #expect(w.transport.sent.map(\.method) == ["GET", "POST"])
        #expect(String(decoding: w.transport.sent[1].body, as: UTF8.self).contains("\"max_tokens\":1"))
    }

    @Test func aMissingKeyIsSaidAndNothingIsSent() async throws {
        let w = try EngineWorld([:])
        var config = w.context.config
        config.providers = config.providers.filter { $0.name == "b" }
        let context = RoutingContext(config: config, state: .success(w.store), keys: FixedKeys([:]), transport: w.transport, clock: w.clock)
        let probes = await HealthCheck(context: context).probeAll(config.providers)
        #expect(probes.map(\.outcome) == [.noKey])
        #expect(w.transport.sent.isEmpty)
        #expect(w.store.rows.isEmpty)
    }

    /// Every provider is probed at once: both probes are out before either answers.
    @Test func probesGoOutTogether() async throws {
        let models = ScriptedTransport.Reply.response(status: 200, headers: [("Content-Type", "application/json")], chunks: [#"{"data":[]}"#])
        let w = try EngineWorld(["http://a/v1/models": [.gated("answers", models)], "http://b/v1/models": [.gated("answers", models)]])
        let providers = w.context.config.providers.filter { $0.name != "bare" }
        let check = Task { await HealthCheck(context: w.context).probeAll(providers) }
        // A wide margin: on a loaded machine the second probe has taken 15 s to start;
        // were the probes one after the other it would never start before the gate opens.
        let both = await w.transport.waitUntilSent(2, limit: 60)
        w.transport.open("answers")
        let probes = await check.value
        #expect(both, "the second probe waited for the first")
        #expect(probes.map(\.outcome) == [.ok, .ok])
    }
}
