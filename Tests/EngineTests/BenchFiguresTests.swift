import Testing
import RouterCore
@testable import Engine

/// Every bench figure from recorded timestamps: the definitions, exactly.
@Suite struct BenchFiguresTests {
    /// A request that starts at `at`, sends its first text `ttft` later and then `n` chunks `gap` apart.
    func sample(at: Double = 0, sent: Double? = nil, ttft: Double = 0.2, chunks n: Int = 10, gap: Double = 0.02, tokens: Int? = 10,
                outcome: Outcome = .ok) -> BenchSample {
        let first = (sent ?? at) + ttft
        let chunks = (0..<n).map { first + Double($0) * gap }
        return BenchSample(target: "t", intended: at, sent: sent ?? at, firstText: outcome == .ok ? first : nil, end: chunks.last ?? first,
                           chunks: outcome == .ok ? chunks : [], outcome: outcome,
                           usage: tokens.map { Usage(inputTokens: 100, outputTokens: $0) }, costUSD: 0.001)
    }

    @Test func ttftAndTPOTFollowTheirDefinitions() {
        let f = BenchFigures(target: "t", samples: (0..<5).map { sample(at: Double($0)) })
        #expect(abs((f.ttft.p50 ?? 0) - 0.2) < 1e-9)
        // (e2e − TTFT) / (tokens − 1) = (0.38 − 0.2) / 9 = 0.02.
        #expect(abs((f.tpot.p50 ?? 0) - 0.02) < 1e-9)
        #expect(abs((f.interChunk.p50 ?? 0) - 0.02) < 1e-9)
        #expect(f.interChunk.count == 45)
    }

    @Test func outputTokensComeFromUsageNotFromChunks() {
        // One chunk carrying 50 tokens: TPOT divides by the 49 the provider counted after the first.
        var s = sample(chunks: 1, tokens: 50)
        s.end = s.firstText! + 0.49
        let f = BenchFigures(target: "t", samples: [s])
        #expect(abs((f.tpot.p50 ?? 0) - 0.01) < 1e-9)
        #expect(abs(f.outputTokensPerSecond - 50 / 0.69) < 1e-9)
    }

    @Test func failuresAreCountedApartAndLeftOutOfLatencies() {
        let ok = (0..<5).map { sample(at: Double($0)) }
        let failed = (0..<5).map { sample(at: Double($0) + 0.5, ttft: 5, outcome: .http(500)) }
        let f = BenchFigures(target: "t", samples: ok + failed)
        #expect(f.errorRate == 0.5)
        #expect(f.errors == ["http_500": 5])
        #expect(f.e2e.count == 5)
        #expect((f.e2e.max ?? 0) < 1)
    }

    @Test func correctedLatencyCountsTheWaitForASlotUncorrectedDoesNot() {
        // Intended at 0.1 s, sent at 1.0 s (it waited behind a stalled request), answered 10 ms later.
        let late = BenchSample(target: "t", intended: 0.1, sent: 1.0, firstText: 1.005, end: 1.01, chunks: [1.005], outcome: .ok)
        #expect(abs(late.e2e - 0.91) < 1e-9)
        #expect(abs(late.service - 0.01) < 1e-9)
        #expect(abs(late.lateness - 0.9) < 1e-9)
    }

    @Test func goodputCountsAnswersWithinEveryObjective() {
        let fast = (0..<3).map { sample(at: Double($0), ttft: 0.1) }
        let slow = [sample(at: 3, ttft: 0.9)]
        let f = BenchFigures(target: "t", samples: fast + slow, slo: BenchSLO(ttft: 0.5))
        #expect(abs((f.goodputPerSecond ?? 0) - 3 / f.window) < 1e-9)
    }

    @Test func costPerRequestPerAnswerAndPerMillionTokens() {
        let f = BenchFigures(target: "t", samples: [sample(), sample(at: 1, outcome: .http(429))])
        #expect(f.totalCost == 0.002)
        #expect(f.costPerRequest == 0.001)
        #expect(f.costPerSuccess == 0.002)
        #expect(abs((f.costPerMillionOutput ?? 0) - 0.002 / 10 * 1_000_000) < 1e-9)
    }

    @Test func theSameSeedGivesTheSameSchedule() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let one = BenchSchedule.starts(count: 100, rate: 20, arrival: .poisson, using: &a)
        #expect(one == BenchSchedule.starts(count: 100, rate: 20, arrival: .poisson, using: &b))
        #expect(one != BenchSchedule.starts(count: 100, rate: 20, arrival: .poisson, using: &c))
        var r = SeededRandom(seed: 1)
        let constant = BenchSchedule.starts(count: 5, rate: 4, arrival: .constant, using: &r)
        #expect(constant == [0, 0.25, 0.5, 0.75, 1])
        // A Poisson process at 20/s has gaps of 50 ms on average.
        var p = SeededRandom(seed: 7)
        let many = BenchSchedule.starts(count: 20_000, rate: 20, arrival: .poisson, using: &p)
        #expect(abs((many.last ?? 0) / Double(many.count - 1) - 0.05) < 0.002)
    }

    @Test(arguments: [("p95(ttft)>800ms", "p95(ttft)", BenchCheck.Op.gt, 0.8), ("error_rate > 1%", "error_rate", .gt, 0.01),
                      ("rps<=2.5", "rps", .le, 2.5), ("p99(e2e)>=2s", "p99(e2e)", .ge, 2), ("max(e2e)>1h", "max(e2e)", .gt, 3600)])
    func checksParse(_ text: String, _ metric: String, _ op: BenchCheck.Op, _ threshold: Double) throws {
        let c = try BenchCheck.parse(text)
        #expect(c.metric == metric && c.op == op && abs(c.threshold - threshold) < 1e-12)
    }

    @Test(arguments: ["p95(tfft)>1s", "p42(ttft)>1s", "latency>1s", "p95(ttft)", "rps>fast"])
    func badChecksAreRefused(_ text: String) {
        #expect(throws: BenchCheck.Problem.self) { try BenchCheck.parse(text) }
    }

    @Test func aCheckFailsOnTheRightSideOfItsThreshold() throws {
        let f = BenchFigures(target: "t", samples: (0..<5).map { sample(at: Double($0)) })
        #expect(try BenchCheck.parse("p95(ttft)>150ms").fails(f).failed)
        #expect(!(try BenchCheck.parse("p95(ttft)>250ms").fails(f).failed))
        #expect(!(try BenchCheck.parse("error_rate>0%").fails(f).failed))
    }
}

@Suite struct LatencyRecorderTests {
    /// Exact up to its limit; past it, percentiles within 0.1% and memory that
    /// does not grow with the number of values.
    @Test func pastTheExactLimitPercentilesStayWithinATenthOfAPercent() {
        var rng = SeededRandom(seed: 5)
        var recorder = LatencyRecorder()
        var values: [Double] = []
        for _ in 0..<200_000 {
            // From 1 ms to 10 s, spread over four decades.
            let v = 0.001 * Double(rng.next() % 10_000_000 + 1) / 1000
            values.append(v)
            recorder.add(v)
        }
        let sorted = values.sorted()
        let exact = Distribution(sorted.prefix(LatencyRecorder.exactLimit).map { $0 })
        #expect(exact.count == LatencyRecorder.exactLimit)
        let got = recorder.percentiles([0.5, 0.9, 0.99])
        for (q, p) in zip([0.5, 0.9, 0.99], got) {
            let truth = sorted[Int((q * Double(sorted.count)).rounded(.up)) - 1]
            #expect(abs((p ?? 0) - truth) / truth < 0.001, "p\(q): \(p ?? -1) vs \(truth)")
        }
        #expect(recorder.max == sorted.last)
        #expect(recorder.count == 200_000)
        // Four decades at 0.1% a bucket: at most about 9,200 buckets, whatever the count.
        #expect(recorder.counts().count < 10_000)
    }
}
