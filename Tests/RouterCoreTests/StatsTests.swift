import Testing
@testable import RouterCore

@Suite struct StatsTests {
    @Test(arguments: [([1, 2, 3, 4], 0.5, 2), ([1, 2, 3, 4], 0.99, 4), ([7], 0.5, 7), (Array(1...100), 0.99, 99), (Array(1...100), 0.5, 50)])
    func nearestRankPercentiles(values: [Int], q: Double, expected: Int) {
        #expect(StatsAccumulator.percentile(values, q) == expected)
    }

    @Test func everyFigureExactly() throws {
        var acc = StatsAccumulator()
        // p/m: 8 answers (latency 100…800, ttft 10…80), one 503, one hedge_lost; 2 fallbacks, 3 hedged.
        for i in 1...8 {
            acc.add(StatsRow(provider: "p", model: "m", outcome: "ok", latencyMs: i * 100, ttftMs: i * 10, costUSD: 0.001,
                             fallback: i <= 2, hedge: i <= 2))
        }
        acc.add(StatsRow(provider: "p", model: "m", outcome: "http_503", latencyMs: 5))
        acc.add(StatsRow(provider: "p", model: "m", outcome: "hedge_lost", latencyMs: 50, hedge: true))
        acc.add(StatsRow(provider: "a", model: "z", outcome: "ok", latencyMs: 42))
        let figures = acc.figures()
        #expect(figures.map(\.provider) == ["a", "p"])
        let f = try #require(figures.last)
        #expect(f.requests == 10)
        #expect(f.p50LatencyMs == 400)
        #expect(f.p99LatencyMs == 800)
        #expect(f.p50TTFTMs == 40)
        #expect(f.errorRate == 0.1)
        #expect(abs(f.totalCost - 0.008) < 1e-12)
        #expect(abs(f.costPerRequest - 0.0008) < 1e-12)
        #expect(f.fallbackRate == 0.25)
        #expect(f.hedgeRate == 0.3)
    }

    @Test func cacheHitsAreCountedApartFromAttempts() throws {
        var acc = StatsAccumulator()
        for _ in 0..<3 { acc.add(StatsRow(provider: "p", model: "m", outcome: "ok", latencyMs: 100, costUSD: 0.01)) }
        acc.add(StatsRow(provider: "p", model: "m", outcome: "cache_hit", latencyMs: 0, costUSD: 0))
        let f = try #require(acc.figures().first)
        #expect(f.requests == 3)
        #expect(f.cacheHits == 1)
        #expect(f.cacheHitRate == 0.25)
        #expect(f.errorRate == 0)
        #expect(f.p50LatencyMs == 100)
    }

    @Test func aModelWithNoPriceHasAnUnknownCostNotZero() throws {
        var acc = StatsAccumulator()
        acc.add(StatsRow(provider: "local", model: "free", outcome: "ok", latencyMs: 10))
        acc.add(StatsRow(provider: "local", model: "free", outcome: "http_503", latencyMs: 5))
        acc.add(StatsRow(provider: "paid", model: "m", outcome: "ok", latencyMs: 10, costUSD: 0.002))
        acc.add(StatsRow(provider: "paid", model: "m", outcome: "http_503", latencyMs: 5))
        let figures = acc.figures()
        #expect(figures.map(\.costKnown) == [false, true])
        #expect(figures.last?.totalCost == 0.002)
        var partly = StatsAccumulator()
        partly.add(StatsRow(provider: "p", model: "m", outcome: "ok", latencyMs: 10))
        partly.add(StatsRow(provider: "p", model: "m", outcome: "ok", latencyMs: 10, costUSD: 0.001))
        // Once some answers were priced, the known part is shown.
        #expect(partly.figures().first?.costKnown == true)
    }

    func figures(p50: Int = 1000, p99: Int = 2000, errors: Double = 0, cost: Double = 0.01, fallback: Double = 0) -> StatsFigures {
        var f = StatsFigures(provider: "p", model: "m")
        f.requests = 100
        f.p50LatencyMs = p50
        f.p99LatencyMs = p99
        f.errorRate = errors
        f.costPerRequest = cost
        f.fallbackRate = fallback
        return f
    }

    @Test func alertThresholdsAreStrictlyPast() {
        let config = AlertConfig()
        let base = figures()
        #expect(StatsAccumulator.alerts(figures(), baseline: base, config: config) == StatsAlerts())
        // Exactly at a threshold is not past it.
        let at = StatsAccumulator.alerts(figures(p50: 6000, p99: 15000, errors: 0.02, cost: 0.02, fallback: 0.05), baseline: base, config: config)
        #expect(at == StatsAlerts())
        let past = StatsAccumulator.alerts(figures(p50: 6001, p99: 15001, errors: 0.021, cost: 0.0201, fallback: 0.051), baseline: base, config: config)
        #expect(past == StatsAlerts(p50: true, p99: true, errorRate: true, cost: true, fallbackRate: true))
        // With no baseline, the figures that need one are not marked.
        let lone = StatsAccumulator.alerts(figures(p50: 60000, cost: 9), baseline: nil, config: config)
        #expect(!lone.p50 && !lone.cost)
    }

    @Test func alertsAreConfigurable() throws {
        let c = try ConfigLoader.load(yaml: """
            providers:
              p: {api: openai, base_url: http://x/v1}
            alerts: {p50_over_baseline: 2s, p99: 10s, error_rate: 1%, cost_over_baseline: 1.5x, fallback_rate: 0.1}
            """, source: "t")
        #expect(c.alerts.p50OverBaseline == 2)
        #expect(c.alerts.p99 == 10)
        #expect(c.alerts.errorRate == 0.01)
        #expect(c.alerts.costOverBaseline == 1.5)
        #expect(c.alerts.fallbackRate == 0.1)
        #expect(throws: ConfigError.self) {
            try ConfigLoader.load(yaml: "providers:\n  p: {api: openai, base_url: http://x/v1}\nalerts: {error_rate: lots}\n", source: "t")
        }
    }
}
