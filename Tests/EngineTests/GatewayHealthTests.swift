import Testing
import Dispatch
import Synchronization
import Providers
@testable import RouterCore
import TestSupport
@testable import Engine

/// `llmr serve` reads breakers and cooldowns once per moment, not once per
/// request; what this process learns (a failure) and what other processes
/// write (after `HealthCache.maxAge`) still reach its next plan.
@Suite struct GatewayHealthTests {
    final class Flag: Sendable {
        let value = Atomic<Bool>(true)
    }

    static let ok = ScriptedTransport.Reply.response(status: 200, headers: [("Content-Type", "application/json")],
                                                     chunks: [#"{"choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#])
    static let request = ServedRequest(model: "default", request: ChatRequest(messages: [Message(role: .user, content: "hi")]), stream: false)

    /// Answers `n` requests through the gateway, recording each as serve does.
    func answer(_ g: Gateway, _ n: Int = 1) async throws -> [RouteResult] {
        var out: [RouteResult] = []
        for _ in 0..<n {
            let routing = try g.prepare(Self.request).get()
            let r = await g.answer(Self.request, routing: routing, live: false) { _ in }
            g.record(r, of: Self.request)
            out.append(r)
        }
        return out
    }

    @Test func healthIsReadOncePerMomentWhileAllIsWell() async throws {
        let w = try EngineWorld(["http://a/v1": [Self.ok]])
        let g = Gateway(context: w.context)
        // Each answer takes 10 ms of the manual clock: five fit in one moment (0.1 s), twenty in two.
        let results = try await answer(g, 5)
        #expect(results.allSatisfy { $0.failure == nil && $0.provider == "a" })
        #expect(w.store.snapshotReads == 1)
        w.clock.advance(HealthCache.maxAge * 2)
        _ = try await answer(g, 20)
        #expect(w.store.snapshotReads == 3)
    }

    @Test func aFailureHereIsSeenByTheNextRequestAtOnce() async throws {
        // a fails five times (its breaker opens), b answers: the sixth request goes to b alone.
        let w = try EngineWorld(["http://a/v1": [EngineWorld.busy], "http://b/v1": [Self.ok]])
        let g = Gateway(context: w.context)
        let first = try await answer(g, 5)
        #expect(first.allSatisfy { $0.provider == "b" && $0.attempts.count == 2 })
        let sentBefore = w.transport.sent.count
        let sixth = try await answer(g)
        #expect(sixth[0].provider == "b" && sixth[0].attempts.count == 1, "\(sixth[0].attempts)")
        #expect(w.transport.sent.dropFirst(sentBefore).allSatisfy { $0.url.hasPrefix("http://b/") })
        #expect(w.store.snapshotReads == 6)
    }

    @Test func anotherProcesssBreakerIsSeenWithinTheMoment() async throws {
        let w = try EngineWorld(["http://a/v1": [Self.ok], "http://b/v1": [Self.ok]])
        let g = Gateway(context: w.context)
        _ = try await answer(g)
        // Another process opens a's breaker (five failures of its own).
        let busy = AttemptRecord(provider: "a", model: "ma", modelID: "ma", tier: .primary, outcome: .http(503), status: 503, latencyMs: 1)
        let failed = RouteResult(route: "default", pieces: [], provider: nil, model: nil, modelID: nil, usage: nil, costUSD: nil, latencyMs: 1,
                                 ttftMs: nil, fallback: false, attempts: [busy], failure: nil, brokenOff: false, continued: false)
        for i in 0..<5 { try w.store.record(failed, requestID: "other-\(i)", at: w.clock.wallTime(), breaker: w.context.breaker, content: nil) }
        w.clock.advance(HealthCache.maxAge * 2)
        let next = try await answer(g)
        #expect(next[0].provider == "b" && next[0].attempts.count == 1, "\(next[0].attempts)")
    }

    @Test func answersAreWrittenOnTheWriterAndFailuresAtOnce() async throws {
        let w = try EngineWorld(["http://a/v1": [Self.ok, EngineWorld.busy], "http://b/v1": [Self.ok]])
        let g = Gateway(context: w.context)
        // An answer with nothing to move goes to the writer; written once it is flushed.
        _ = try await answer(g, 1)
        g.flushRecords()
        #expect(w.store.rows.count == 1)
        // a's second reply is a 503: that request's attempts are written before record returns.
        let failed = try await answer(g, 1)
        #expect(failed[0].attempts.count == 2)
        #expect(w.store.rows.map(\.attempt.outcome).contains(.http(503)), "\(w.store.rows.map(\.attempt.outcome))")
        #expect(w.store.rows.count == 3)
    }

    /// A disk slower than the clients: at most `Gateway.backlog` records wait
    /// for the writer; past that each request writes its own, so the queue
    /// (and memory) stays bounded, and nothing is lost.
    @Test func theWritersBacklogIsBounded() async throws {
        let w = try EngineWorld(["http://a/v1": [Self.ok]])
        let open = DispatchSemaphore(value: 0)
        let first = Flag()
        // The first record (the writer's: the first answer moves no breaker) waits at the gate; the writer waits behind it.
        w.store.recordGate = {
            if first.value.exchange(false, ordering: .relaxed) { open.wait() }
        }
        let g = Gateway(context: w.context)
        let n = Gateway.backlog + 45
        _ = try await answer(g, n)
        #expect(w.store.rows.count == n - Gateway.backlog, "the writer holds \(Gateway.backlog) at most")
        open.signal()
        g.flushRecords()
        #expect(w.store.rows.count == n)
    }

    @Test func commandsThatRunOnceReadHealthEveryTime() async throws {
        // ask and its kin have no cache: each plan reads the store.
        let w = try EngineWorld(["http://a/v1": [Self.ok]])
        var rng = RequestRandom(seed: 1)
        for _ in 0..<3 { _ = w.context.router(for: try w.context.plan(Self.request.request, selection: .route("default"), using: &rng), maxCost: nil) }
        #expect(w.store.snapshotReads == 3)
    }
}
