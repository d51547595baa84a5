import RouterCore
import Synchronization

/// How a benchmark loads its targets.
public struct BenchLoad: Sendable {
    public init(loop: Loop, requests: Int?, duration: Double?, warmup: Int) {
        self.loop = loop
        self.requests = requests
        self.duration = duration
        self.warmup = warmup
    }

    public enum Loop: Sendable {
        /// `-c N`: N requests in flight, each sent when one ends.
        case closed(concurrency: Int)
        /// `--rate R`: sends on a schedule fixed in advance, at most `maxConcurrency` in flight.
        case open(rate: Double, arrival: BenchArrival, maxConcurrency: Int?)
    }

    public var loop: Loop
    /// `-n`: requests per target (warm-up aside); nil with `--duration`.
    public var requests: Int?
    public var duration: Double?
    public var warmup: Int
}

/// One row of the benchmark: a candidate measured on its own (`--direct`),
/// or a whole route (`--via-router`).
public struct BenchTarget: Sendable {
    public init(name: String, candidate: Candidate?, selection: RouteSelection) {
        self.name = name
        self.candidate = candidate
        self.selection = selection
    }

    public var name: String
    public var candidate: Candidate?
    public var selection: RouteSelection
}

/// Runs one target's requests and accumulates its figures; its progress is
/// read while it runs. Nothing it keeps grows with the number of requests:
/// each sample is folded into the accumulator (and handed to `onSample`),
/// each attempt waits in `attempts` only until the next batch is recorded.
public final class BenchTargetRun: Sendable {
    public struct Progress: Sendable {
        public var done = 0
        public var errors = 0
        public var spent = 0.0
        /// True once the target's run is over (its requests all sent and answered).
        public var finished = false
        public var figures: BenchAccumulator
        /// Attempts not yet recorded.
        public var attempts: [AttemptRecord] = []
    }

    public let target: BenchTarget
    public let index: Int
    public let progress: Mutex<Progress>
    /// Requests this run will measure (nil: as many as the duration allows).
    public let planned: Int?

    public init(target: BenchTarget, index: Int, planned: Int?, slo: BenchSLO? = nil) {
        self.target = target
        self.index = index
        self.planned = planned
        progress = Mutex(Progress(figures: BenchAccumulator(slo: slo)))
    }

    /// The figures of the requests that finished.
    public var figures: BenchFigures { BenchFigures(target: target.name, progress.withLock { $0.figures }) }
}

/// Where a run's attempts go, in batches as the run goes and the rest at its
/// end, all under one run id: an interrupted run keeps what was sent.
public final class BenchLog: Sendable {
    /// Attempts a batch holds: a write every few hundred requests.
    public static let batch = 256

    let context: RoutingContext
    let runID = "bench-" + RequestID.make()
    let at: Double
    private let failure = Mutex<StateFailure?>(nil)

    public init(context: RoutingContext, at: Double) {
        self.context = context
        self.at = at
    }

    /// Why recording failed, the first time it did.
    public var firstFailure: StateFailure? { failure.withLock { $0 } }

    func record(_ attempts: [AttemptRecord]) {
        guard let state = context.state, !attempts.isEmpty else { return }
        do {
            try state.get().record(RouteResult(route: RecordedRoute.bench, attempts: attempts), requestID: runID, at: at,
                                   breaker: nil, content: nil)
        } catch {
            failure.withLock { if $0 == nil { $0 = error } }
        }
    }

    /// Records what every run still holds.
    public func flush(_ runs: [BenchTargetRun]) {
        for r in runs { record(r.progress.withLock { p in defer { p.attempts = [] }; return p.attempts }) }
    }
}

/// Sends the requests of every target at once, each target with its own
/// scheduler, through the shared transport (one libcurl multi handle,
/// connections reused).
public struct BenchRunner: Sendable {
    public let context: RoutingContext
    public let workload: BenchWorkload
    public let load: BenchLoad
    public let timeout: Double?
    public let stream: Bool
    public let clock = SystemClock()

    /// Where attempts are recorded as the run goes; nil records nothing.
    public let log: BenchLog?
    /// Each finished request, as it finishes (`--csv` writes it at once).
    public let onSample: (@Sendable (BenchSample) -> Void)?
    private let stopped = StopFlag()

    public init(context: RoutingContext, workload: BenchWorkload, load: BenchLoad, timeout: Double?, stream: Bool,
                log: BenchLog? = nil, onSample: (@Sendable (BenchSample) -> Void)? = nil) {
        self.context = context
        self.workload = workload
        self.load = load
        self.timeout = timeout
        self.stream = stream
        self.log = log
        self.onSample = onSample
    }

    /// Sends nothing more; requests in flight end as they would (or are
    /// cancelled with the task that runs the benchmark).
    public func stop() { stopped.set() }

    /// Whether the run may send another request.
    private var sending: Bool { !stopped.isSet && !Task.isCancelled }

    /// The run's clock origin: samples' times are seconds from it.
    public func run(_ runs: [BenchTargetRun]) async -> Double {
        // Warm-up requests go first and are left out of every figure.
        if load.warmup > 0 {
            await withTaskGroup(of: Void.self) { group in
                for r in runs { group.addTask { await self.warm(r) } }
            }
        }
        let origin = clock.now()
        await withDiscardingTaskGroup { group in
            for r in runs {
                group.addTask {
                    await self.measure(r, origin: origin)
                    r.progress.withLock { $0.finished = true }
                }
            }
        }
        return origin
    }

    private func warm(_ r: BenchTargetRun) async {
        let width: Int
        switch load.loop {
        case .closed(let c): width = c
        case .open(_, _, let m): width = m ?? 8
        }
        let next = Counter()
        await withDiscardingTaskGroup { group in
            for _ in 0..<max(1, min(width, load.warmup)) {
                group.addTask {
                    while self.sending, let i = next.take(below: self.load.warmup) {
                        _ = await self.one(r, index: i, intended: 0, origin: self.clock.now())
                    }
                }
            }
        }
    }

    private func measure(_ r: BenchTargetRun, origin: Double) async {
        let deadline = load.duration.map { origin + $0 }
        switch load.loop {
        case .closed(let concurrency):
            let next = Counter()
            let limit = load.requests
            await withDiscardingTaskGroup { group in
                for _ in 0..<max(1, concurrency) {
                    group.addTask {
                        while self.sending {
                            if let deadline, self.clock.now() >= deadline { return }
                            guard let i = next.take(below: limit) else { return }
                            let now = self.clock.now() - origin
                            let s = await self.one(r, index: self.load.warmup + i, intended: now, origin: origin)
                            self.add(s, to: r)
                        }
                    }
                }
            }
        case .open(let rate, let arrival, let maxConcurrency):
            var rng = SeededRandom(seed: workload.seed &+ UInt64(r.index))
            let starts = load.requests.map { BenchSchedule.starts(count: $0, rate: rate, arrival: arrival, using: &rng) }
                ?? BenchSchedule.starts(duration: load.duration ?? 0, rate: rate, arrival: arrival, using: &rng)
            let slots = maxConcurrency.map { AsyncSlots($0) }
            // Finished requests leave the group at once: an open loop of any length keeps only those in flight.
            await withDiscardingTaskGroup { group in
                for (i, start) in starts.enumerated() {
                    try? await clock.sleep(until: origin + start)
                    // A capped loop waits for a free slot: the wait is queue time, measured.
                    await slots?.acquire()
                    guard sending else {
                        await slots?.release()
                        break
                    }
                    group.addTask {
                        let s = await self.one(r, index: self.load.warmup + i, intended: start, origin: origin)
                        await slots?.release()
                        self.add(s, to: r)
                    }
                }
            }
        }
    }

    private func add(_ s: BenchSample, to r: BenchTargetRun) {
        // A request cut short by the user's interrupt did not finish: its attempt
        // is recorded, its figures are not anybody's.
        guard s.outcome != .interrupted else { return }
        r.progress.withLock { p in
            p.done += 1
            if !s.succeeded { p.errors += 1 }
            p.spent += s.costUSD ?? 0
            p.figures.add(s)
        }
        onSample?(s)
    }

    /// Keeps a request's attempts, recording a batch once enough wait.
    private func keep(_ attempts: [AttemptRecord], of r: BenchTargetRun) {
        let batch = r.progress.withLock { p -> [AttemptRecord] in
            p.attempts += attempts
            guard log != nil, p.attempts.count >= BenchLog.batch else { return [] }
            defer { p.attempts = [] }
            return p.attempts
        }
        log?.record(batch)
    }

    /// One request, timed against the run's origin.
    public func one(_ r: BenchTargetRun, index: Int, intended: Double, origin: Double) async -> BenchSample {
        let request = workload.request(index, target: r.index)
        let chunks = Mutex<[Double]>([])
        let sent = clock.now() - origin
        let onText: (Double) -> Void = { t in chunks.withLock { $0.append(t - origin) } }
        if var candidate = r.target.candidate {
            if let timeout { candidate.provider.timeouts.total = timeout }
            candidate.provider.stream = stream
            let router = context.bareRouter()
            let record = await router.measure(candidate, request: request, onText: onText)
            // Held back by a budget, nothing was sent: no attempt to record.
            if record.outcome != .overBudget { keep([record], of: r) }
            let times = chunks.withLock { $0 }
            var sample = BenchSample(target: r.target.name, intended: intended, sent: sent, firstText: times.first, end: clock.now() - origin,
                                     chunks: times, outcome: record.outcome, finish: record.finish?.reason, usage: record.usage, costUSD: record.costUSD)
            sample.invalidAnswers = record.outcome == .invalidOutput ? 1 : 0
            return sample
        }
        var rng = RequestRandom(seed: workload.seed &+ UInt64(truncatingIfNeeded: index))
        guard var plan = try? context.plan(request, selection: r.target.selection, using: &rng) else {
            return BenchSample(target: r.target.name, intended: intended, sent: sent, firstText: nil, end: sent, chunks: [], outcome: .unsupported)
        }
        for i in plan.candidates.indices {
            if let timeout { plan.candidates[i].provider.timeouts.total = timeout }
            plan.candidates[i].provider.stream = stream
        }
        let router = context.router(for: plan, maxCost: nil)
        let result = await router.execute(plan, request: request, live: true, using: &rng) { event in
            if case .delta = event { onText(self.clock.now()) }
        }
        keep(result.attempts, of: r)
        let times = chunks.withLock { $0 }
        let outcome = result.failure == nil ? Outcome.ok : result.attempts.last?.outcome ?? .unsupported
        var sample = BenchSample(target: r.target.name, intended: intended, sent: sent, firstText: times.first, end: clock.now() - origin,
                                 chunks: times, outcome: outcome, finish: result.finish?.reason, usage: result.usage, costUSD: result.costUSD,
                                 attempts: result.attempts.count, fellBack: result.fallback)
        sample.invalidAnswers = result.attempts.filter { $0.outcome == .invalidOutput }.count
        return sample
    }
}

/// Hands out 0, 1, 2, … to concurrent workers, up to a limit.
public final class Counter: Sendable {
    private let value = Mutex(0)

    public func take(below limit: Int?) -> Int? {
        value.withLock { n in
            if let limit, n >= limit { return nil }
            n += 1
            return n - 1
        }
    }
}

/// At most N holders at once; the rest wait their turn, in order.
public actor AsyncSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(_ count: Int) { free = max(1, count) }

    public func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    public func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// A flag any task may raise once and every task may read.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func set() { raised.store(true, ordering: .relaxed) }
    var isSet: Bool { raised.load(ordering: .relaxed) }
}
