import Foundation
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

    static let hi = ChatRequest(messages: [Message(role: .user, content: "hi")])
    /// The plan a request on `route` gets (its own generator: the tests run in parallel).
    func plan(for route: String) throws -> Plan {
        var rng = SeededRandom(seed: 1)
        return try Planner(config: config).plan(Self.hi, selection: .route(route), using: &rng)
    }

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
        // In a known order: a is sent, the hedge comes due, b is sent, then a's first token arrives.
        let clock = ManualClock(holdSleeps: true)
        let transport = ScriptedTransport(["http://a": [.gated("a", ScriptedTransport.openAIStream("from a"))], "http://b": [.hang]],
                                          clock: clock, latency: 0)
        let router = Router(transport: transport, wires: Wires.all, keys: FixedKeys([:]), clock: clock)
        let plan = try self.plan(for: "hedged")
        let events = EventLog()
        let task = Task {
            var rng = SeededRandom(seed: 1)
            return await router.execute(plan, request: Self.hi, live: false, using: &rng) { events.append($0) }
        }
        #expect(await transport.waitUntilSent(1))
        #expect(await clock.waitUntilSleeping(1))
        clock.advance(1)
        #expect(await transport.waitUntilSent(2))
        transport.open("a")
        // a's first token came first: b is cancelled (else the race would wait for it for ever).
        guard await transport.waitUntilCancelled("http://b", limit: 10) else {
            task.cancel()
            Issue.record("the backup was not cancelled when the primary's first token came first")
            return
        }
        let r = await task.value
        #expect(r.text == "from a")
        #expect(r.provider == "a")
        #expect(r.attempts.map(\.provider) == ["b", "a"])
        #expect(r.attempts.map(\.outcome) == [.hedgeLost, .ok])
        #expect(r.attempts.map(\.hedged) == [true, true])
        #expect(transport.cancelled == ["http://b/v1/chat/completions"])
        #expect(events.all.contains { if case .hedging = $0 { return true } else { return false } })
    }

    @Test func aPrimaryThatFailsBeforeTheHedgeFallsBackAsUsual() async throws {
        let clock = ManualClock(holdSleeps: true)
        let e503 = ScriptedTransport.Reply.response(status: 503, headers: [], chunks: ["{}"])
        let (r, _, _) = try await run("hedged", ["http://a": [e503], "http://b": [ScriptedTransport.openAIStream("b")]], clock: clock)
        #expect(r.text == "b")
        #expect(r.attempts.map(\.outcome) == [.http(503), .ok])
        #expect(r.attempts.map(\.hedged) == [false, false])
    }

    /// The decision itself: a backup is offered only while the request may hedge.
    @Test func noHedgeOnceTheShareIsUsedUp() throws {
        let plan = try self.plan(for: "hedged")
        var allowed = RequestMachine(plan: plan, request: Self.hi, started: 0)
        #expect(allowed.admitted(0, canContinue: false, mayHedge: true).backup == 1)
        var usedUp = RequestMachine(plan: plan, request: Self.hi, started: 0)
        #expect(usedUp.admitted(0, canContinue: false, mayHedge: false).backup == nil)
    }

    /// And through the router: a silent primary with the share used up is
    /// never raced, however long it takes (the clock runs free: a hedge would
    /// come due at once).
    @Test func aSilentPrimaryIsNotRacedOnceTheShareIsUsedUp() async throws {
        let transport = ScriptedTransport(["http://a": [.hang], "http://b": [ScriptedTransport.openAIStream("from b")]],
                                          clock: ManualClock(), latency: 0)
        var router = Router(transport: transport, wires: Wires.all, keys: FixedKeys([:]), clock: ManualClock())
        router.hedgeAllowed = false
        let plan = try self.plan(for: "hedged")
        let task = Task {
            var rng = SeededRandom(seed: 1)
            return await router.execute(plan, request: Self.hi, live: false, using: &rng) { _ in }
        }
        #expect(await transport.waitUntilSent(1))
        // A hedge would have sent to b within moments; two seconds is a wide margin.
        #expect(await transport.waitUntilSent(2, limit: 2) == false)
        task.cancel()
        let r = await task.value
        #expect(r.failure?.kind == .interrupted)
        #expect(transport.sent.map(\.url) == ["http://a/v1/chat/completions"])
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

/// Router events as they were observed, from any task.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RouterEvent] = []
    func append(_ e: RouterEvent) { lock.lock(); events.append(e); lock.unlock() }
    var all: [RouterEvent] { lock.lock(); defer { lock.unlock() }; return events }
}
