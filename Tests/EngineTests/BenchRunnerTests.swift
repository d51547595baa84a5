import RouterCore
import TestSupport
import Testing
@testable import Engine

@Suite struct BenchRunnerTests {
    static let workload = BenchWorkload(prompts: nil, promptTokens: 20, system: nil, maxTokens: 16, temperature: nil,
                                        sharedPrefix: false, seed: 7)

    func candidate(_ w: EngineWorld, _ model: String) throws -> Candidate {
        var rng = RequestRandom(seed: 1)
        return try #require(try w.context.plan(ChatRequest(messages: []), selection: .model(model), using: &rng).candidates.first)
    }

    @Test func everyTargetGetsItsRequestsAndTheRunIsRecordedUnderBench() async throws {
        let w = try EngineWorld(["http://a": [ScriptedTransport.openAIStream("fine")], "http://b": [EngineWorld.busy]])
        let targets = [BenchTarget(name: "ma", candidate: try candidate(w, "ma"), selection: .model("ma")),
                       BenchTarget(name: "mb", candidate: try candidate(w, "mb"), selection: .model("mb"))]
        let runs = targets.enumerated().map { BenchTargetRun(target: $1, index: $0, planned: 6) }
        let runner = BenchRunner(context: w.context, workload: Self.workload,
                                 load: BenchLoad(loop: .closed(concurrency: 2), requests: 6, duration: nil, warmup: 1),
                                 timeout: nil, stream: true)
        _ = await runner.run(runs)
        let good = runs[0].progress.withLock { $0 }
        let bad = runs[1].progress.withLock { $0 }
        // Warm-up requests are sent but left out of every figure.
        #expect(good.samples.count == 6 && good.errors == 0 && good.done == 6)
        #expect(bad.samples.count == 6 && bad.errors == 6)
        #expect(bad.samples.allSatisfy { $0.outcome == .http(503) })
        #expect(w.transport.sent.count == 14)
        // Each target's requests are its own: no prompt is sent twice.
        #expect(Set(w.transport.sent.map { String(decoding: $0.body, as: UTF8.self) }).count == 14)
        #expect(w.context.recordBench(runs, at: 1000) == nil)
        let rows = w.store.rows
        #expect(rows.count == 14)
        #expect(rows.allSatisfy { $0.route == RecordedRoute.bench })
        // A benchmark measures; it does not move breakers.
        #expect(try w.store.snapshot(providers: ["a", "b"], now: 1000).breakers.isEmpty)
        #expect(good.spent > 0)
    }

    @Test func viaTheRouterAFailoverIsCountedPerRequest() async throws {
        let w = try EngineWorld(["http://a": [EngineWorld.busy], "http://b": [ScriptedTransport.openAIStream("from b")]])
        let run = BenchTargetRun(target: BenchTarget(name: "default", candidate: nil, selection: .route("default")), index: 0, planned: 4)
        let runner = BenchRunner(context: w.context, workload: Self.workload,
                                 load: BenchLoad(loop: .closed(concurrency: 1), requests: 4, duration: nil, warmup: 0),
                                 timeout: nil, stream: true)
        _ = await runner.run([run])
        let p = run.progress.withLock { $0 }
        #expect(p.samples.count == 4)
        #expect(p.samples.allSatisfy { $0.outcome == .ok && $0.fellBack && $0.attempts == 2 })
        #expect(p.attempts.map(\.outcome) == Array(repeating: [.http(503), .ok], count: 4).flatMap { $0 })
    }
}
