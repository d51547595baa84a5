/// One attempt as the statistics see it.
public struct StatsRow: Sendable, Equatable {
    public var provider: String
    public var model: String
    public var outcome: String
    public var latencyMs: Int
    public var ttftMs: Int?
    public var costUSD: Double?
    public var fallback: Bool
    public var hedge: Bool

    public init(provider: String, model: String, outcome: String, latencyMs: Int, ttftMs: Int? = nil,
                costUSD: Double? = nil, fallback: Bool = false, hedge: Bool = false) {
        self.provider = provider
        self.model = model
        self.outcome = outcome
        self.latencyMs = latencyMs
        self.ttftMs = ttftMs
        self.costUSD = costUSD
        self.fallback = fallback
        self.hedge = hedge
    }
}

/// The figures of one provider and model over a period.
public struct StatsFigures: Sendable, Equatable {
    public var provider: String
    public var model: String
    /// Attempts on this provider and model.
    public var requests = 0
    /// Latency percentiles of the answered attempts, in milliseconds (nearest rank).
    public var p50LatencyMs: Int?
    public var p99LatencyMs: Int?
    public var p50TTFTMs: Int?
    /// Attempts that failed (anything but an answer or a lost hedge), over all attempts.
    public var errorRate = 0.0
    public var costPerRequest = 0.0
    public var totalCost = 0.0
    /// False when answers came but none had a price (a model the catalog
    /// does not price): the costs above are then unknown, not $0.
    public var costKnown = true
    /// Answers that came from a fallback, over all answers.
    public var fallbackRate = 0.0
    /// Attempts that ran in a hedged race, over all attempts.
    public var hedgeRate = 0.0
    /// Answers replayed from the response cache (no attempt), and their share of all answers.
    public var cacheHits = 0
    public var cacheHitRate = 0.0
    /// Answered latencies in milliseconds, sorted (for histograms).
    public var latencies: [Int] = []
}

/// Alert thresholds (`alerts:`), with the seed's defaults.
public struct AlertConfig: Sendable, Equatable {
    public var p50OverBaseline: Double = 5
    public var p99: Double = 15
    public var errorRate = 0.02
    public var costOverBaseline = 2.0
    public var fallbackRate = 0.05

    public init() {}
}

/// Which figures cross their alert thresholds.
public struct StatsAlerts: Sendable, Equatable {
    public var p50 = false
    public var p99 = false
    public var errorRate = false
    public var cost = false
    public var fallbackRate = false

    public var any: Bool { p50 || p99 || errorRate || cost || fallbackRate }
}

/// Accumulates attempts into figures per provider and model. Pure: the store
/// feeds it rows, the tests feed it known ones.
public struct StatsAccumulator: Sendable {
    struct Group: Sendable {
        var requests = 0
        var failures = 0
        var answers = 0
        var fallbacks = 0
        var hedges = 0
        var cost = 0.0
        var pricedAnswers = 0
        var hits = 0
        var latencies: [Int] = []
        var ttfts: [Int] = []
    }

    private var groups: [Group] = []
    private var names: [(String, String)] = []
    private var index: [String: Int] = [:]

    public init() {}

    /// The index of the provider and model's group, made on first sight.
    public mutating func group(provider: String, model: String) -> Int {
        let key = provider + "\u{0}" + model
        if let i = index[key] { return i }
        index[key] = groups.count
        groups.append(Group())
        names.append((provider, model))
        return groups.count - 1
    }

    public mutating func add(_ r: StatsRow) {
        if r.outcome == "cache_hit" { return addHit(group: group(provider: r.provider, model: r.model)) }
        add(group: group(provider: r.provider, model: r.model), answered: r.outcome == "ok",
            // A lost hedge and an interrupted attempt are nobody's failure.
            lostHedge: r.outcome == "hedge_lost" || r.outcome == "interrupted",
            latencyMs: r.latencyMs, ttftMs: r.ttftMs, costUSD: r.costUSD, fallback: r.fallback, hedge: r.hedge)
    }

    /// Adds one cache hit to group `g`: an answer, but no attempt.
    public mutating func addHit(group g: Int) { groups[g].hits += 1 }

    /// Adds one attempt to group `g` (from `group(provider:model:)`).
    public mutating func add(group g: Int, answered: Bool, lostHedge: Bool, latencyMs: Int, ttftMs: Int?, costUSD: Double?,
                             fallback: Bool, hedge: Bool) {
        groups[g].requests += 1
        if let c = costUSD { groups[g].cost += c }
        if hedge { groups[g].hedges += 1 }
        if answered {
            groups[g].answers += 1
            if costUSD != nil { groups[g].pricedAnswers += 1 }
            groups[g].latencies.append(latencyMs)
            if let t = ttftMs { groups[g].ttfts.append(t) }
            if fallback { groups[g].fallbacks += 1 }
        } else if !lostHedge {
            groups[g].failures += 1
        }
    }

    /// Adds everything `other` accumulated (a scan split in parts is merged this way).
    public mutating func merge(_ other: StatsAccumulator) {
        for (i, (provider, model)) in other.names.enumerated() {
            let g = group(provider: provider, model: model)
            let o = other.groups[i]
            groups[g].requests += o.requests
            groups[g].failures += o.failures
            groups[g].answers += o.answers
            groups[g].fallbacks += o.fallbacks
            groups[g].hedges += o.hedges
            groups[g].cost += o.cost
            groups[g].pricedAnswers += o.pricedAnswers
            groups[g].hits += o.hits
            groups[g].latencies += o.latencies
            groups[g].ttfts += o.ttfts
        }
    }

    /// The nearest-rank percentile `q` (0 to 1) of sorted values.
    public static func percentile(_ sorted: [Int], _ q: Double) -> Int? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int(saturating: (q * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }

    /// The figures, by provider then model.
    public func figures() -> [StatsFigures] {
        names.indices.sorted { names[$0].0 != names[$1].0 ? names[$0].0 < names[$1].0 : names[$0].1 < names[$1].1 }.map { i in
            let (provider, model) = names[i]
            let g = groups[i]
            var f = StatsFigures(provider: provider, model: model)
            let latencies = g.latencies.sorted()
            let ttfts = g.ttfts.sorted()
            f.requests = g.requests
            f.p50LatencyMs = Self.percentile(latencies, 0.5)
            f.p99LatencyMs = Self.percentile(latencies, 0.99)
            f.p50TTFTMs = Self.percentile(ttfts, 0.5)
            f.errorRate = g.requests == 0 ? 0 : Double(g.failures) / Double(g.requests)
            f.totalCost = g.cost
            f.costKnown = g.answers == 0 || g.pricedAnswers > 0
            f.costPerRequest = g.requests == 0 ? 0 : g.cost / Double(g.requests)
            f.fallbackRate = g.answers == 0 ? 0 : Double(g.fallbacks) / Double(g.answers)
            f.hedgeRate = g.requests == 0 ? 0 : Double(g.hedges) / Double(g.requests)
            f.cacheHits = g.hits
            f.cacheHitRate = g.hits + g.answers == 0 ? 0 : Double(g.hits) / Double(g.hits + g.answers)
            f.latencies = latencies
            return f
        }
    }

    /// The alert marks of `f` against `baseline` (the same figures over the preceding period).
    public static func alerts(_ f: StatsFigures, baseline: StatsFigures?, config: AlertConfig) -> StatsAlerts {
        var a = StatsAlerts()
        if let p50 = f.p50LatencyMs, let base = baseline?.p50LatencyMs {
            a.p50 = Double(p50 - base) / 1000 > config.p50OverBaseline
        }
        if let p99 = f.p99LatencyMs { a.p99 = Double(p99) / 1000 > config.p99 }
        a.errorRate = f.errorRate > config.errorRate
        if let base = baseline, base.costPerRequest > 0 { a.cost = f.costPerRequest > config.costOverBaseline * base.costPerRequest }
        a.fallbackRate = f.fallbackRate > config.fallbackRate
        return a
    }
}
