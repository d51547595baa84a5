import RouterCore

/// One benchmark request as it happened, times in seconds from the run's start.
public struct BenchSample: Sendable, Equatable {
    public var target: String
    /// When the schedule meant it to start (closed loop: when it was sent).
    public var intended: Double
    /// When it was sent.
    public var sent: Double
    /// When the first chunk carrying answer text arrived.
    public var firstText: Double?
    /// When the answer ended (its end marker), or the attempt failed.
    public var end: Double
    /// Arrival times of the chunks that carried text.
    public var chunks: [Double]
    public var outcome: Outcome
    /// The provider's finish reason, when it gave one.
    public var finish: FinishReason?
    public var usage: Usage?
    public var costUSD: Double?
    /// Attempts it took through the router (1 with --direct).
    public var attempts: Int
    /// Answered by another candidate than the first (through the router).
    public var fellBack: Bool

    public init(target: String, intended: Double, sent: Double, firstText: Double?, end: Double, chunks: [Double], outcome: Outcome,
                finish: FinishReason? = nil, usage: Usage? = nil, costUSD: Double? = nil, attempts: Int = 1, fellBack: Bool = false) {
        self.target = target
        self.intended = intended
        self.sent = sent
        self.firstText = firstText
        self.end = end
        self.chunks = chunks
        self.outcome = outcome
        self.finish = finish
        self.usage = usage
        self.costUSD = costUSD
        self.attempts = attempts
        self.fellBack = fellBack
    }

    public var succeeded: Bool { outcome == .ok }
    /// Time to first token, from the intended start (what a user waiting on the schedule sees).
    public var ttft: Double? { firstText.map { $0 - intended } }
    /// End-to-end latency from the intended start: coordinated omission corrected.
    public var e2e: Double { end - intended }
    /// End-to-end latency from the actual send: the server's service time alone.
    public var service: Double { end - sent }
    /// How late the send was against the schedule (scheduler and queue).
    public var lateness: Double { max(0, sent - intended) }
    /// Output tokens, from the usage the provider reported; never a count of chunks.
    public var outputTokens: Int? { usage?.outputTokens }
    /// Time per output token after the first: (e2e − TTFT) / (output tokens − 1).
    public var tpot: Double? {
        guard let ttft, let n = outputTokens, n > 1 else { return nil }
        return (e2e - ttft) / Double(n - 1)
    }
    /// Gaps between consecutive text chunks.
    public var interChunk: [Double] { zip(chunks.dropFirst(), chunks).map { $0 - $1 } }
}

/// Percentiles of one figure, with how many samples they rest on.
public struct Distribution: Sendable, Equatable {
    public var count: Int
    public var p50: Double?
    public var p90: Double?
    public var p95: Double?
    public var p99: Double?
    public var max: Double?
    public var mean: Double?

    public init(_ values: [Double]) {
        let sorted = values.filter(\.isFinite).sorted()
        count = sorted.count
        func rank(_ q: Double) -> Double? {
            guard !sorted.isEmpty else { return nil }
            let r = Int(saturating: (q * Double(sorted.count)).rounded(.up))
            return sorted[Swift.min(sorted.count, Swift.max(1, r)) - 1]
        }
        p50 = rank(0.5)
        p90 = rank(0.9)
        p95 = rank(0.95)
        p99 = rank(0.99)
        max = sorted.last
        mean = sorted.isEmpty ? nil : sorted.reduce(0, +) / Double(sorted.count)
    }

    /// The value of `pNN`, `max` or `mean`.
    public func value(_ statistic: String) -> Double? {
        switch statistic {
        case "p50": return p50
        case "p90": return p90
        case "p95": return p95
        case "p99": return p99
        case "max": return max
        case "mean": return mean
        default: return nil
        }
    }
}

/// Service-level objectives for goodput: a request is good when it
/// succeeded and met every one that is set.
public struct BenchSLO: Sendable, Equatable {
    public var ttft: Double?
    public var tpot: Double?
    public var e2e: Double?

    public init(ttft: Double? = nil, tpot: Double? = nil, e2e: Double? = nil) {
        self.ttft = ttft
        self.tpot = tpot
        self.e2e = e2e
    }

    public func met(by s: BenchSample) -> Bool {
        guard s.succeeded else { return false }
        if let limit = ttft, (s.ttft ?? .infinity) > limit { return false }
        if let limit = tpot, let t = s.tpot, t > limit { return false }
        if let limit = e2e, s.e2e > limit { return false }
        return true
    }
}

/// Every figure of one target, computed from its samples: the definitions
/// `llmr help bench`, the man page and the README give.
public struct BenchFigures: Sendable, Equatable {
    public var target: String
    public var requests: Int
    public var succeeded: Int
    /// Failed requests by outcome (`http_429`, `timeout`, `dropped`, …); answers cut by
    /// `max-tokens` are counted apart (`length`), as answers.
    public var errors: [String: Int]
    public var cutByLength: Int
    public var errorRate: Double
    /// Seconds from the first intended start to the last end.
    public var window: Double
    public var requestsPerSecond: Double
    public var outputTokensPerSecond: Double
    public var goodputPerSecond: Double?
    public var ttft: Distribution
    public var e2e: Distribution
    public var service: Distribution
    public var tpot: Distribution
    public var interChunk: Distribution
    public var lateness: Distribution
    /// Output tokens per second of each request (tokens ÷ its e2e).
    public var perRequestTokensPerSecond: Distribution
    public var costPerRequest: Double?
    public var costPerSuccess: Double?
    public var costPerMillionOutput: Double?
    public var totalCost: Double?
    public var attemptsPerRequest: Double
    public var failoverRate: Double

    public init(target: String, samples: [BenchSample], slo: BenchSLO? = nil) {
        self.target = target
        requests = samples.count
        let ok = samples.filter(\.succeeded)
        succeeded = ok.count
        var errors: [String: Int] = [:]
        for s in samples where !s.succeeded { errors["\(s.outcome)", default: 0] += 1 }
        self.errors = errors
        cutByLength = ok.filter { $0.finish == .length }.count
        errorRate = samples.isEmpty ? 0 : Double(samples.count - ok.count) / Double(samples.count)
        let start = samples.map(\.intended).min() ?? 0
        let end = samples.map(\.end).max() ?? 0
        let window = max(0, end - start)
        self.window = window
        let perSecond = { (n: Double) in window > 0 ? n / window : 0 }
        requestsPerSecond = perSecond(Double(ok.count))
        let outputs = ok.compactMap(\.outputTokens)
        outputTokensPerSecond = perSecond(Double(outputs.reduce(0, +)))
        goodputPerSecond = slo.map { slo in perSecond(Double(samples.filter { slo.met(by: $0) }.count)) }
        // Latency figures describe answers; failures are counted apart, never mixed in.
        ttft = Distribution(ok.compactMap(\.ttft))
        e2e = Distribution(ok.map(\.e2e))
        service = Distribution(ok.map(\.service))
        tpot = Distribution(ok.compactMap(\.tpot))
        interChunk = Distribution(ok.flatMap(\.interChunk))
        lateness = Distribution(samples.map(\.lateness))
        perRequestTokensPerSecond = Distribution(ok.compactMap { s in s.outputTokens.map { Double($0) / max(s.e2e, 1e-9) } })
        let costs = samples.compactMap(\.costUSD)
        let total = costs.isEmpty ? nil : costs.reduce(0, +)
        totalCost = total
        costPerRequest = total.map { $0 / Double(max(1, samples.count)) }
        costPerSuccess = ok.isEmpty ? nil : total.map { $0 / Double(ok.count) }
        let outputTotal = outputs.reduce(0, +)
        costPerMillionOutput = outputTotal == 0 ? nil : total.map { $0 / Double(outputTotal) * 1_000_000 }
        attemptsPerRequest = samples.isEmpty ? 0 : Double(samples.map(\.attempts).reduce(0, +)) / Double(samples.count)
        failoverRate = ok.isEmpty ? 0 : Double(ok.filter(\.fellBack).count) / Double(ok.count)
    }

    /// The figure a `--fail-if` check names: `p95(ttft)`, `mean(e2e)`, `error_rate`, `rps`, …; nil when unknown or empty.
    public func value(_ metric: String) -> Double? {
        if let open = metric.firstIndex(of: "("), metric.hasSuffix(")") {
            let statistic = String(metric[..<open])
            let field = String(metric[metric.index(after: open)..<metric.index(before: metric.endIndex)])
            return distribution(field)?.value(statistic)
        }
        switch metric {
        case "error_rate": return errorRate
        case "rps": return requestsPerSecond
        case "output_tps": return outputTokensPerSecond
        case "goodput": return goodputPerSecond
        case "cost_per_request": return costPerRequest
        case "failover_rate": return failoverRate
        default: return nil
        }
    }

    public func distribution(_ field: String) -> Distribution? {
        switch field {
        case "ttft": return ttft
        case "e2e": return e2e
        case "service": return service
        case "tpot": return tpot
        case "itl", "inter_chunk": return interChunk
        case "lateness": return lateness
        default: return nil
        }
    }

    public static let fields = ["ttft", "e2e", "service", "tpot", "itl", "lateness"]
    public static let scalars = ["error_rate", "rps", "output_tps", "goodput", "cost_per_request", "failover_rate"]
}
