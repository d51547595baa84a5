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
    /// Answers that failed `--schema` (each an attempt; the request may still have succeeded after them).
    public var invalidAnswers = 0

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
        var recorder = LatencyRecorder()
        for v in values { recorder.add(v) }
        self.init(recorder)
    }

    public init(_ recorder: LatencyRecorder) {
        count = recorder.count
        let p = recorder.percentiles([0.5, 0.9, 0.95, 0.99])
        (p50, p90, p95, p99) = (p[0], p[1], p[2], p[3])
        max = recorder.max
        mean = recorder.mean
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
    /// Answers that failed `--schema`, counted apart from errors: through the
    /// router a request may have succeeded on a later attempt.
    public var invalidAnswers: Int
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
        var acc = BenchAccumulator(slo: slo)
        for s in samples { acc.add(s) }
        self.init(target: target, acc)
    }

    /// The figures from what a run accumulated, request by request.
    public init(target: String, _ a: BenchAccumulator) {
        self.target = target
        requests = a.requests
        succeeded = a.succeeded
        errors = a.errors
        cutByLength = a.cutByLength
        invalidAnswers = a.invalidAnswers
        errorRate = a.requests == 0 ? 0 : Double(a.requests - a.succeeded) / Double(a.requests)
        let window = max(0, (a.end ?? 0) - (a.start ?? 0))
        self.window = window
        let perSecond = { (n: Double) in window > 0 ? n / window : 0 }
        requestsPerSecond = perSecond(Double(a.succeeded))
        outputTokensPerSecond = perSecond(Double(a.outputTokens))
        goodputPerSecond = a.slo.map { _ in perSecond(Double(a.good)) }
        // Latency figures describe answers; failures are counted apart, never mixed in.
        ttft = Distribution(a.ttft)
        e2e = Distribution(a.e2e)
        service = Distribution(a.service)
        tpot = Distribution(a.tpot)
        interChunk = Distribution(a.interChunk)
        lateness = Distribution(a.lateness)
        perRequestTokensPerSecond = Distribution(a.perRequestTokensPerSecond)
        totalCost = a.totalCost
        costPerRequest = a.totalCost.map { $0 / Double(max(1, a.requests)) }
        costPerSuccess = a.succeeded == 0 ? nil : a.totalCost.map { $0 / Double(a.succeeded) }
        costPerMillionOutput = a.outputTokens == 0 ? nil : a.totalCost.map { $0 / Double(a.outputTokens) * 1_000_000 }
        attemptsPerRequest = a.requests == 0 ? 0 : Double(a.attempts) / Double(a.requests)
        failoverRate = a.succeeded == 0 ? 0 : Double(a.fellBack) / Double(a.succeeded)
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

/// What a run keeps of its requests, request by request, in memory that does
/// not grow with their number: counts, sums and `LatencyRecorder`s.
public struct BenchAccumulator: Sendable, Equatable {
    public let slo: BenchSLO?
    public private(set) var requests = 0
    public private(set) var succeeded = 0
    public private(set) var errors: [String: Int] = [:]
    public private(set) var cutByLength = 0
    public private(set) var invalidAnswers = 0
    /// The first intended start and the last end.
    public private(set) var start: Double?
    public private(set) var end: Double?
    /// Output tokens of the answers, as the providers reported them.
    public private(set) var outputTokens = 0
    /// Answers within every objective of the SLO.
    public private(set) var good = 0
    public private(set) var ttft = LatencyRecorder()
    public private(set) var e2e = LatencyRecorder()
    public private(set) var service = LatencyRecorder()
    public private(set) var tpot = LatencyRecorder()
    public private(set) var interChunk = LatencyRecorder()
    public private(set) var lateness = LatencyRecorder()
    public private(set) var perRequestTokensPerSecond = LatencyRecorder()
    public private(set) var totalCost: Double?
    public private(set) var attempts = 0
    public private(set) var fellBack = 0

    public init(slo: BenchSLO? = nil) {
        self.slo = slo
    }

    public mutating func add(_ s: BenchSample) {
        requests += 1
        start = min(start ?? s.intended, s.intended)
        end = max(end ?? s.end, s.end)
        lateness.add(s.lateness)
        if let c = s.costUSD { totalCost = (totalCost ?? 0) + c }
        attempts += s.attempts
        invalidAnswers += s.invalidAnswers
        if let slo, slo.met(by: s) { good += 1 }
        guard s.succeeded else {
            errors["\(s.outcome)", default: 0] += 1
            return
        }
        succeeded += 1
        if s.finish == .length { cutByLength += 1 }
        if s.fellBack { fellBack += 1 }
        if let n = s.outputTokens {
            outputTokens += n
            perRequestTokensPerSecond.add(Double(n) / max(s.e2e, 1e-9))
        }
        if let t = s.ttft { ttft.add(t) }
        e2e.add(s.e2e)
        service.add(s.service)
        if let t = s.tpot { tpot.add(t) }
        for (a, b) in zip(s.chunks.dropFirst(), s.chunks) { interChunk.add(a - b) }
    }
}
