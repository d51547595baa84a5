import RouterCore
import Synchronization
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

    /// Samples as the runner hands them over.
    final class Samples: Sendable {
        let list = Mutex<[BenchSample]>([])
        var all: [BenchSample] { list.withLock { $0 } }
        var add: @Sendable (BenchSample) -> Void { { s in self.list.withLock { $0.append(s) } } }
    }

    @Test func everyTargetGetsItsRequestsAndTheRunIsRecordedUnderBench() async throws {
        let w = try EngineWorld(["http://a": [ScriptedTransport.openAIStream("fine")], "http://b": [EngineWorld.busy]])
        let targets = [BenchTarget(name: "ma", candidate: try candidate(w, "ma"), selection: .model("ma")),
                       BenchTarget(name: "mb", candidate: try candidate(w, "mb"), selection: .model("mb"))]
        let runs = targets.enumerated().map { BenchTargetRun(target: $1, index: $0, planned: 6) }
        let samples = Samples()
        let log = BenchLog(context: w.context, at: 1000)
        let runner = BenchRunner(context: w.context, workload: Self.workload,
                                 load: BenchLoad(loop: .closed(concurrency: 2), requests: 6, duration: nil, warmup: 1),
                                 timeout: nil, stream: true, log: log, onSample: samples.add)
        _ = await runner.run(runs)
        let good = runs[0].figures, bad = runs[1].figures
        // Warm-up requests are sent but left out of every figure.
        #expect(good.requests == 6 && good.succeeded == 6)
        #expect(bad.requests == 6 && bad.errors == ["http_503": 6])
        #expect(samples.all.count == 12)
        #expect(samples.all.filter { $0.target == "mb" }.allSatisfy { $0.outcome == .http(503) })
        #expect(w.transport.sent.count == 14)
        // Each target's requests are its own: no prompt is sent twice.
        #expect(Set(w.transport.sent.map { String(decoding: $0.body, as: UTF8.self) }).count == 14)
        log.flush(runs)
        #expect(log.firstFailure == nil)
        let rows = w.store.rows
        #expect(rows.count == 14)
        #expect(rows.allSatisfy { $0.route == RecordedRoute.bench })
        #expect(Set(rows.map(\.requestID)).count == 1)
        // A benchmark measures; it does not move breakers.
        #expect(try w.store.snapshot(providers: ["a", "b"], now: 1000).breakers.isEmpty)
        #expect((good.totalCost ?? 0) > 0)
    }

    /// Attempts are recorded in batches while the run goes, not all at its end.
    @Test func attemptsAreRecordedAsTheRunGoes() async throws {
        let w = try EngineWorld(["http://a": [ScriptedTransport.openAIStream("fine")]])
        let run = BenchTargetRun(target: BenchTarget(name: "ma", candidate: try candidate(w, "ma"), selection: .model("ma")), index: 0, planned: 600)
        let log = BenchLog(context: w.context, at: 1000)
        let runner = BenchRunner(context: w.context, workload: Self.workload,
                                 load: BenchLoad(loop: .closed(concurrency: 4), requests: 600, duration: nil, warmup: 0),
                                 timeout: nil, stream: true, log: log)
        _ = await runner.run([run])
        // Two batches were written during the run; the rest waits for the end.
        #expect(w.store.rows.count == 2 * BenchLog.batch)
        #expect(run.progress.withLock { $0.attempts.count } == 600 - 2 * BenchLog.batch)
        log.flush([run])
        #expect(w.store.rows.count == 600)
    }

    /// A stop sends nothing more: what was never sent is neither counted nor recorded.
    @Test func aStoppedRunSendsNothingMore() async throws {
        let w = try EngineWorld(["http://a": [ScriptedTransport.openAIStream("fine")]])
        let run = BenchTargetRun(target: BenchTarget(name: "ma", candidate: try candidate(w, "ma"), selection: .model("ma")), index: 0, planned: 1000)
        let log = BenchLog(context: w.context, at: 1000)
        let samples = Samples()
        let holder = Mutex<BenchRunner?>(nil)
        let stopAfterTen: @Sendable (BenchSample) -> Void = { s in
            samples.add(s)
            if samples.all.count == 10 { holder.withLock { $0 }?.stop() }
        }
        let runner = BenchRunner(context: w.context, workload: Self.workload,
                                 load: BenchLoad(loop: .closed(concurrency: 1), requests: 1000, duration: nil, warmup: 0),
                                 timeout: nil, stream: true, log: log, onSample: stopAfterTen)
        holder.withLock { $0 = runner }
        _ = await runner.run([run])
        log.flush([run])
        #expect(run.figures.requests == 10)
        #expect(w.transport.sent.count == 10)
        #expect(w.store.rows.count == 10)
    }

    @Test func viaTheRouterAFailoverIsCountedPerRequest() async throws {
        let w = try EngineWorld(["http://a": [EngineWorld.busy], "http://b": [ScriptedTransport.openAIStream("from b")]])
        let run = BenchTargetRun(target: BenchTarget(name: "default", candidate: nil, selection: .route("default")), index: 0, planned: 4)
        let runner = BenchRunner(context: w.context, workload: Self.workload,
                                 load: BenchLoad(loop: .closed(concurrency: 1), requests: 4, duration: nil, warmup: 0),
                                 timeout: nil, stream: true)
        _ = await runner.run([run])
        let f = run.figures
        #expect(f.requests == 4 && f.succeeded == 4)
        #expect(f.failoverRate == 1 && f.attemptsPerRequest == 2)
        #expect(run.progress.withLock { $0.attempts }.map(\.outcome) == Array(repeating: [.http(503), .ok], count: 4).flatMap { $0 })
    }
}
