/// One request's walk through its plan, as a state machine: given what
/// happened (an attempt ended, a candidate was refused, time passed) it
/// keeps the state and says what to do next; `Router.execute` drives it and
/// does the I/O (admission, sleeping, sending, reporting). A new step of a
/// request (a cache lookup, a budget reservation, output validation) is a
/// new action or state here, not one more branch in the driver.
///
/// The pattern is async-http-client's connection-pool state machine: state +
/// event → action, the owner does the work.
struct RequestMachine {
    let plan: Plan
    let request: ChatRequest
    let started: Double
    private(set) var walk: FallbackWalk
    /// Every attempt made, in the order they ended.
    private(set) var attempts: [AttemptRecord] = []
    /// Candidates passed over without sending, with why.
    private(set) var skipped: [SkippedCandidate] = []
    /// The largest context window a provider said the prompt does not fit.
    private(set) var refusedWindow: Int?
    /// A request hedges at most once.
    private(set) var hedged = false
    /// The first candidate actually sent to: an answer from any other is a fallback.
    private(set) var firstTried: Int?
    /// The text of the current answer the user has seen (live mode only).
    private(set) var shown = TextBuffer()
    /// The user saw text that did not become part of the final answer.
    private(set) var restarted = false
    /// The text of the last answer that failed the schema.
    private(set) var lastInvalid: String?

    init(plan: Plan, request: ChatRequest, started: Double) {
        self.plan = plan
        self.request = request
        self.started = started
        walk = FallbackWalk(candidates: plan.candidates.count, retries: plan.retries,
                            maxAttempts: plan.maxAttempts, maxRetryWait: plan.maxRetryWait)
    }

    /// What the driver does next.
    enum Action {
        /// Wait until then (monotonic seconds) for a retry of `candidate`; then ask again.
        case wait(until: Double, candidate: Candidate)
        /// Admit candidate `index` (key, window, budget, breaker; claiming a
        /// probe if that is what it takes), then call `admitted` with the verdict.
        case admit(index: Int, spent: Double)
        /// The request is over, with this failure (nil never: an answer ends through `answered`).
        case finish(RouteFailure)
    }

    /// What ended a request for good.
    static let interrupted = RouteFailure(kind: .interrupted, message: "interrupted")

    /// What to do now.
    mutating func next(now: Double) -> Action {
        switch walk.next(now: now) {
        case .finished:
            // Candidates the attempt cap left untried are listed, with why.
            for i in plan.candidates.indices where walk.isFresh(i) {
                skipped.append(Self.skip(plan.candidates[i], .notTried("max_attempts (\(plan.maxAttempts)) was reached first")))
            }
            return .finish(Self.failure(for: attempts, skipped: skipped, plan: plan))
        case .wait(let until, let i):
            return .wait(until: until, candidate: plan.candidates[i])
        case .attempt(let i):
            return .admit(index: i, spent: spent)
        }
    }

    /// What the attempts so far cost.
    var spent: Double { attempts.reduce(0.0) { $0 + ($1.costUSD ?? 0) } }

    /// The attempt to make once a candidate is admitted.
    struct Send {
        var index: Int
        var candidate: Candidate
        /// The request as this attempt sends it (with the shown text to continue, if any).
        var request: ChatRequest
        /// The text the user saw, which this attempt continues.
        var continuing: String?
        /// A break the user saw before this attempt, and whether this attempt continues it.
        var resuming: (failed: AttemptRecord, shownBytes: Int, continuing: Bool)?
        /// Which attempt on this candidate this is (1 for the first).
        var number: Int
        /// A candidate to race beside this one when it is slow (a hedge).
        var backup: Int?
    }

    /// A candidate at its rate limit until `until` (monotonic): held back until
    /// then when that is within `max_retry_wait` (nil: nothing to report),
    /// else passed over like any refusal.
    mutating func held(_ index: Int, _ availability: Availability, until: Double, now: Double) -> SkippedCandidate? {
        if walk.hold(index, until: until, now: now) { return nil }
        let skip = Self.skip(plan.candidates[index], availability)
        skipped.append(skip)
        return skip
    }

    /// A candidate was refused: it is passed over, nothing sent.
    mutating func refused(_ index: Int, _ availability: Availability) -> SkippedCandidate {
        walk.skip(index)
        let skip = Self.skip(plan.candidates[index], availability)
        skipped.append(skip)
        return skip
    }

    /// A candidate was admitted: the attempt to send. `canContinue` says
    /// whether its API can continue a broken answer (a prefill);
    /// `mayHedge` whether this request may still race a backup.
    mutating func admitted(_ i: Int, canContinue: Bool, mayHedge: Bool) -> Send {
        let candidate = plan.candidates[i]
        if firstTried == nil { firstTried = i }
        var send = Send(index: i, candidate: candidate, request: request, number: walk.attemptsPerCandidate[i] + 1)
        if !shown.isEmpty, let broken = attempts.last {
            let seen = shown.joined
            // JSON that failed its schema is never continued: the next answer starts afresh.
            if canContinue, request.schema == nil {
                send.request.messages.append(Message(role: .assistant, content: seen))
                // Only what is left of --max-tokens: the shown text used the rest.
                if let max = request.maxTokens { send.request.maxTokens = Swift.max(1, max - (seen.utf8.count + 3) / 4) }
                send.continuing = seen
            } else {
                shown = TextBuffer()
                restarted = true
            }
            send.resuming = (broken, seen.utf8.count, canContinue)
        }
        send.backup = mayHedge ? backup(for: i) : nil
        return send
    }

    /// The candidate to race beside candidate `i`: the next untried one, when
    /// the route hedges, this request has not hedged yet, and no answer is
    /// being shown or continued. Admission is the driver's to check.
    func backup(for i: Int) -> Int? {
        guard plan.hedge != nil, !hedged, shown.isEmpty else { return nil }
        return plan.candidates.indices.first { $0 > i && walk.isFresh($0) }
    }

    /// The backup was admitted too: the request races, once.
    mutating func hedging() { hedged = true }

    /// Answer text the user was shown (live mode).
    mutating func showed(_ text: String) { shown.append(text) }

    /// The server started the answer over instead of continuing it: it is shown again from its start.
    mutating func startedOver() {
        shown = TextBuffer()
        restarted = true
    }

    /// An attempt on candidate `index` ended: records it with its cost and
    /// says what becomes of the candidate. A lost hedge never failed: its
    /// candidate stays open for later.
    mutating func ended<G: RandomNumberGenerator>(_ index: Int, _ outcome: AttemptOutcome, now: Double, using rng: inout G) -> (AttemptRecord, FallbackWalk.Verdict) {
        let candidate = plan.candidates[index]
        var record = outcome.record
        record.deliveredBytes = outcome.delivered
        record.costUSD = record.usage.flatMap { candidate.model.cost(of: $0) }
        let verdict: FallbackWalk.Verdict
        switch record.outcome {
        case .hedgeLost:
            verdict = .givenUp("lost the hedge")
        case .noKey, .unsupported:
            walk.skip(index)
            verdict = .givenUp(record.message ?? "\(record.outcome)")
        default:
            verdict = walk.record(candidate: index, outcome: record.outcome, retryAfter: record.retryAfterS, now: now, using: &rng)
        }
        if record.outcome == .invalidOutput { lastInvalid = outcome.text.joined }
        if record.errorKind == .contextLength {
            let window = candidate.model.context ?? request.estimatedPromptTokens
            refusedWindow = max(refusedWindow ?? 0, window)
        }
        attempts.append(record)
        return (record, verdict)
    }

    /// The result of a request that ended without an answer.
    func result(failing failure: RouteFailure, now: Double) -> RouteResult {
        var r = result(failure: failure, brokenOff: !shown.isEmpty, now: now)
        r.invalidText = lastInvalid
        return r
    }

    /// The result of a request that `candidate` answered with `outcome`.
    func result(answer outcome: AttemptOutcome, from index: Int, live: Bool, continued: Bool, now: Double) -> RouteResult {
        var r = result(failure: nil, brokenOff: restarted, now: now)
        let candidate = plan.candidates[index]
        r.pieces = live ? shown.pieces : outcome.text.pieces
        r.provider = candidate.provider.name
        r.model = candidate.model.name
        r.modelID = candidate.model.id
        r.finish = outcome.record.finish
        r.ttftMs = outcome.record.ttftMs
        r.fallback = index != firstTried
        r.continued = continued
        r.output = outcome.output
        return r
    }

    private func result(failure: RouteFailure?, brokenOff: Bool, now: Double) -> RouteResult {
        // Usage and cost cover every attempt of the request, answered or not: each one is billed.
        let usage = attempts.compactMap(\.usage).reduce(nil) { total, u in total.map { $0 + u } ?? u }
        let costs = attempts.compactMap(\.costUSD)
        return RouteResult(route: plan.route, pieces: nil, provider: nil, model: nil, modelID: nil, usage: usage,
                           costUSD: costs.isEmpty ? nil : costs.reduce(0, +),
                           latencyMs: Int(milliseconds: now - started), ttftMs: nil, fallback: false, attempts: attempts,
                           skipped: skipped, failure: failure, brokenOff: brokenOff, continued: false)
    }

    static func skip(_ c: Candidate, _ availability: Availability) -> SkippedCandidate {
        SkippedCandidate(provider: c.provider.name, model: c.model.name, modelID: c.model.id, availability: availability)
    }

    /// The failure kind for a request whose every candidate failed or was skipped:
    /// credentials when every candidate's last word was about credentials,
    /// temporary when every one was rate-limited, asked to wait, or is cooling
    /// down, else exhausted.
    static func failure(for attempts: [AttemptRecord], skipped: [SkippedCandidate], plan: Plan) -> RouteFailure {
        var last: [String: AttemptRecord] = [:]
        for a in attempts { last["\(a.provider)/\(a.modelID)"] = a }
        let finals = plan.candidates.compactMap { last[$0.label] }
        guard !finals.isEmpty || !skipped.isEmpty else {
            return RouteFailure(kind: .exhausted, message: "no candidate could be tried")
        }
        let summary = (finals.map { "\($0.model): \(Router.describe($0))" }
            + skipped.map { "\($0.model): skipped (\($0.reason))" }).joined(separator: "; ")
        func all(_ attempt: (AttemptRecord) -> Bool, _ skip: (Availability) -> Bool) -> Bool {
            finals.allSatisfy(attempt) && skipped.allSatisfy { skip($0.availability) }
        }
        if all({ $0.outcome.isCredentialProblem }, { if case .noKey = $0 { return true } else { return false } }) {
            return RouteFailure(kind: .credentials, message: "every candidate refused our credentials or has no key — \(summary)")
        }
        // Too large: every candidate's window was too small, by the catalog or in the provider's own words.
        if all({ $0.errorKind == .contextLength }, { if case .contextTooSmall = $0 { return true } else { return false } }) {
            return RouteFailure(kind: .tooLarge, message: "the prompt is too large for every candidate — \(summary)")
        }
        if finals.isEmpty, skipped.allSatisfy({ if case .overBudget = $0.availability { return true } else { return false } }) {
            return RouteFailure(kind: .budget, message: "--max-cost would be exceeded on every candidate — \(summary)")
        }
        // Nothing sent, and every candidate held back by a budget (shared, or --max-cost).
        if finals.isEmpty, skipped.allSatisfy(\.availability.isBudget) {
            return RouteFailure(kind: .budget, message: "no budget has room for any candidate — \(summary)")
        }
        // Every answer came, and none was the JSON the schema asks for.
        if !finals.isEmpty, finals.allSatisfy({ $0.outcome == .invalidOutput }) {
            return RouteFailure(kind: .invalidOutput, message: "no candidate answered with JSON that validates against the schema — \(summary)")
        }
        if all({ $0.outcome == .http(429) || ($0.retryAfterS != nil && $0.outcome.isRetryable) },
               { if case .coolingDown = $0 { return true } else if case .rateLimited = $0 { return true } else { return false } }) {
            return RouteFailure(kind: .temporary, message: "every candidate is rate-limited or asked us to wait — \(summary)")
        }
        return RouteFailure(kind: .exhausted, message: "every candidate failed or is unavailable — \(summary)")
    }
}
