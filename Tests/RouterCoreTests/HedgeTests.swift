import Testing
import Providers
import TestSupport
@testable import RouterCore

@Suite struct HedgeTests {
    let config: Config = {
        let yaml = """
        providers:
          a: {api: openai, base_url: http://a/v1}
          b: {api: openai, base_url: http://b/v1}
        models:
          ma: {provider: a}
          mb: {provider: b}
        routes:
          hedged: {strategy: fallback, retries: 0, targets: [ma, mb], hedge: {after: 200ms, max_share: 20%}}
          p95: {strategy: fallback, retries: 0, targets: [ma, mb], hedge: {after: p95}}
          plain: {strategy: fallback, retries: 0, targets: [ma, mb]}
        """
        do { return try ConfigLoader.load(yaml: yaml, source: "t") } catch { fatalError("\(error)") }
    }()

    func run(_ route: String, _ replies: [String: [ScriptedTransport.Reply]], clock: ManualClock = ManualClock(),
             configure: (inout Router) -> Void = { _ in }) async throws -> (RouteResult, [RouterEvent], ScriptedTransport) {
        let transport = ScriptedTransport(replies, clock: clock, latency: 0)
        var router = Router(transport: transport, wires: Wires.all, keys: FixedKeys([:]), clock: clock)
        configure(&router)
        var rng = SeededRandom(seed: 1)
        let request = ChatRequest(messages: [Message(role: .user, content: "hi")])
        let plan = try Planner(config: config).plan(request, selection: .route(route), using: &rng)
        var events: [RouterEvent] = []
        let r = await router.execute(plan, request: request, live: false, using: &rng) { events.append($0) }
        return (r, events, transport)
    }

    @Test func aSilentPrimaryIsHedgedAndCancelledWhenTheBackupAnswers() async throws {
        let (r, events, t) = try await run("hedged", ["http://a": [.hang], "http://b": [ScriptedTransport.openAIStream("from b")]])
        #expect(r.text == "from b")
        #expect(r.provider == "b")
        #expect(r.attempts.map(\.outcome) == [.hedgeLost, .ok])
        #expect(r.attempts.allSatisfy { $0.hedged })
        #expect(t.cancelled == ["http://a/v1/chat/completions"])
        #expect(events.contains { if case .hedging(_, _, 0.2) = $0 { return true } else { return false } })
    }

    @Test func aPrimaryThatAnswersInTimeIsNeverHedged() async throws {
        let clock = ManualClock(holdSleeps: true) // the hedge timer never comes due
        let (r, _, t) = try await run("hedged", ["http://a": [ScriptedTransport.openAIStream("from a")], "http://b": [.hang]], clock: clock)
        #expect(r.text == "from a")
        #expect(t.sent.count == 1)
        #expect(r.attempts.map(\.hedged) == [false])
    }

    @Test func thePrimaryWinsWhenItsFirstTokenComesFirst() async throws {
        let (r, _, t) = try await run("hedged", ["http://a": [ScriptedTransport.openAIStream("from a")], "http://b": [.hang]])
        #expect(r.text == "from a")
        #expect(r.provider == "a")
        // Whether the backup started before a's first token is a matter of
        // scheduling; if it did, it was cancelled and lost.
        #expect(r.attempts.filter { $0.provider == "b" }.allSatisfy { $0.outcome == .hedgeLost })
        #expect(t.cancelled.allSatisfy { $0.hasPrefix("http://b") })
    }

    @Test func aPrimaryThatFailsBeforeTheHedgeFallsBackAsUsual() async throws {
        let clock = ManualClock(holdSleeps: true)
        let e503 = ScriptedTransport.Reply.response(status: 503, headers: [], chunks: ["{}"])
        let (r, _, _) = try await run("hedged", ["http://a": [e503], "http://b": [ScriptedTransport.openAIStream("b")]], clock: clock)
        #expect(r.text == "b")
        #expect(r.attempts.map(\.outcome) == [.http(503), .ok])
        #expect(r.attempts.map(\.hedged) == [false, false])
    }

    @Test func noHedgeOnceTheShareIsUsedUp() async throws {
        let clock = ManualClock(holdSleeps: true)
        let task = Task {
            try await run("hedged", ["http://a": [ScriptedTransport.openAIStream("slow a")], "http://b": [.hang]], clock: clock) {
                $0.hedgeAllowed = false
            }
        }
        let (r, _, t) = try await task.value
        #expect(r.text == "slow a")
        #expect(t.sent.count == 1)
    }

    @Test func p95UsesTheProvidersRecentFirstTokenTimes() async throws {
        let (_, events, _) = try await run("p95", ["http://a": [.hang], "http://b": [ScriptedTransport.openAIStream("b")]]) {
            $0.hedgeDelays = ["a": 0.75]
        }
        #expect(events.contains { if case .hedging(_, _, 0.75) = $0 { return true } else { return false } })
        let (_, fallback, _) = try await run("p95", ["http://a": [.hang], "http://b": [ScriptedTransport.openAIStream("b")]])
        #expect(fallback.contains { if case .hedging(_, _, Router.defaultHedgeDelay) = $0 { return true } else { return false } })
    }

    @Test func routesWithoutHedgeNeverRace() async throws {
        let e503 = ScriptedTransport.Reply.response(status: 503, headers: [], chunks: ["{}"])
        let (r, _, _) = try await run("plain", ["http://a": [e503], "http://b": [ScriptedTransport.openAIStream("b")]])
        #expect(r.attempts.allSatisfy { !$0.hedged })
    }

    @Test func hedgeConfigIsRead() throws {
        #expect(config.route(named: "hedged")?.hedge == HedgeConfig(after: .fixed(0.2), maxShare: 0.2))
        #expect(config.route(named: "p95")?.hedge == HedgeConfig(after: .p95, maxShare: 0.1))
        do {
            _ = try ConfigLoader.load(yaml: "providers:\n  a: {api: openai, base_url: http://a/v1}\nroutes:\n  r: {targets: [a/m], hedge: {max_share: 5%}}\n", source: "t")
            Issue.record("hedge without after must be refused")
        } catch {
            #expect(error.message.contains("missing 'after'"))
        }
    }
}
