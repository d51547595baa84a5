/// Executes a plan: walks its candidates through the transport, one attempt at a time.
public struct Router: Sendable {
    public let transport: any HTTPTransport
    public let wires: [WireAPI: any WireFormat]
    public var keys: any KeySource
    public let clock: any RouterClock
    /// The breaker rules; nil sends to every candidate regardless of health.
    public var breaker: Breaker?
    /// Breakers and cooldowns as the state database had them when the request began.
    public var health = HealthSnapshot()
    /// Claims half-open probes in the state database.
    public var claimer: (any ProbeClaimer)?
    /// `--max-cost`: the most the whole request may cost, retries and fallbacks included.
    public var maxCost: Double?
    /// Recent 95th-percentile times to first token by provider, for `hedge.after: p95`.
    public var hedgeDelays: [String: Double] = [:]
    /// Whether this request may hedge: false once recent requests used up `hedge.max_share`.
    public var hedgeAllowed = true
    /// `budgets:`, shared through `ledger`; a budgeted attempt reserves its worst case there first.
    public var budgets: [BudgetConfig] = []
    public var ledger: (any GovernanceLedger)?
    /// The budgets as the ledger had them when the request began (for `route`'s preview).
    public var budgetUsage: [String: BudgetUsage] = [:]
    /// `--tag` / `LLMR_TAG`, for budgets scoped by tag.
    public var tag: String?
    /// The route the request goes through, for budgets scoped by route.
    public var route: String?
    /// The rate windows' shared log (`limits:`); without it limits are not counted.
    public var rates: (any GovernanceLedger)?

    public init(transport: any HTTPTransport, wires: [WireAPI: any WireFormat], keys: any KeySource, clock: any RouterClock = SystemClock()) {
        self.transport = transport
        self.wires = wires
        self.keys = keys
        self.clock = clock
    }

    /// Whether a candidate could be tried now, checked in the order a user would
    /// fix them: key, context window, budget, cooldown and breaker. No side
    /// effects: a half-open breaker shows as `.probe`, unclaimed.
    public func availability(of c: Candidate, request: ChatRequest, spent: Double = 0, refusedWindow: Int? = nil) -> Availability {
        if case .missing(let why) = keys.key(for: c.provider) { return .noKey(why) }
        let needed = request.estimatedPromptTokens + (request.maxTokens ?? 0)
        if let window = c.model.context, needed > window { return .contextTooSmall(needed: needed, window: window) }
        // A provider said the prompt exceeds a window of this size: only larger ones may help.
        if let refused = refusedWindow, let window = c.model.context, window <= refused {
            return .contextTooSmall(needed: refused + 1, window: window)
        }
        if let maxCost, let worst = Planner.worstCase(request, c.model), spent + worst > maxCost {
            return .overBudget(worstCase: worst, left: max(0, maxCost - spent))
        }
        let covering = budgets(covering: c)
        if let first = covering.first {
            guard let worst = Planner.worstCase(request, c.model) else { return .unpricedUnderBudget(first.name) }
            if ledger == nil { return .budgetLedgerUnreadable("there is no state database") }
            for b in covering {
                if let u = budgetUsage[b.name], !u.admits(worst) { return .overSharedBudget(u) }
            }
        }
        guard let breaker else { return .available }
        return breaker.availability(provider: c.provider.name, modelID: c.model.id, in: health, now: clock.wallTime())
    }

    /// The budgets an attempt on `c` counts against.
    func budgets(covering c: Candidate) -> [BudgetConfig] {
        budgets.filter { $0.covers(c, route: route, tag: tag) }
    }

    /// A reservation made for an attempt, to settle when it ends: its budget
    /// share, its rate-window slot, or both.
    struct Reservation {
        var id: Int64?
        var amount: Double = 0
        var slot: Int64?
    }

    /// Whether `c`'s rate windows have room for `request` now, counting nothing (`route`'s preview).
    public func previewSlot(_ c: Candidate, request: ChatRequest) -> Availability? {
        let windows = RateWindow.of(c)
        guard !windows.isEmpty, let rates else { return nil }
        let tokens = Planner.tokenEstimate(request)
        guard case .full(_, let readyAt, let why)?? = try? rates.check(windows, tokens: tokens, now: clock.wallTime()) else { return nil }
        return .rateLimited(until: readyAt, why: why)
    }

    /// Reserves the worst case of an attempt on `c` against its budgets and
    /// counts it in its rate windows, in one step; the refusal when a budget
    /// would go past its limit, the ledger fails, or a window is full.
    func reserve(_ c: Candidate, request: ChatRequest) -> (Reservation?, refusal: Availability?) {
        let covering = budgets(covering: c)
        let windows = rates == nil ? [] : RateWindow.of(c)
        guard !covering.isEmpty || !windows.isEmpty else { return (nil, nil) }
        let worst = Planner.worstCase(request, c.model)
        if let first = covering.first {
            guard worst != nil else { return (nil, .unpricedUnderBudget(first.name)) }
            guard ledger != nil else { return (nil, .budgetLedgerUnreadable("there is no state database")) }
        }
        guard let store = ledger ?? rates else { return (nil, nil) }
        let now = clock.wallTime()
        // A reservation outlives its attempt's own time limit by a margin, then lapses (its process died).
        let limit = c.provider.timeouts.total > 0 ? c.provider.timeouts.total : 600
        let tokens = Planner.tokenEstimate(request)
        do {
            let (budget, slot) = try store.admit(worst ?? 0, against: covering, expires: now + limit + 60, windows: windows,
                                                 tokens: tokens, now: now)
            if case .over(let u)? = budget { return (nil, .overSharedBudget(u)) }
            if case .full(_, let readyAt, let why)? = slot { return (nil, .rateLimited(until: readyAt, why: why)) }
            var r = Reservation(id: nil, amount: worst ?? 0, slot: nil)
            if case .reserved(let id)? = budget { r.id = id }
            if case .granted(let id)? = slot { r.slot = id }
            return (r, nil)
        } catch {
            // Budgets are never passed unread; a window that cannot be read counts nothing (the provider's 429 is the backstop).
            return covering.isEmpty ? (nil, nil) : (nil, .budgetLedgerUnreadable(error.reason))
        }
    }

    /// Turns a reservation into what its attempt cost, and its slot's token
    /// estimate into what it used (when the answer said).
    func settle(_ reservation: Reservation?, cost: Double?, usage: Usage? = nil) {
        guard let reservation, reservation.id != nil || reservation.slot != nil, let store = ledger ?? rates else { return }
        try? store.settle(reservation: reservation.id, cost: cost ?? 0, slot: reservation.slot,
                          tokens: usage.map { $0.inputTokens + $0.outputTokens }, now: clock.wallTime())
    }

    /// `availability`, reserving against the budgets and claiming the
    /// half-open probe when that is what it takes.
    func admit(_ c: Candidate, request: ChatRequest, spent: Double, refusedWindow: Int?, probes: inout Set<String>,
               reservation: inout Reservation?) -> Availability {
        let availability = availability(of: c, request: request, spent: spent, refusedWindow: refusedWindow)
        guard availability.isSendable else { return availability }
        let (r, refusal) = reserve(c, request: request)
        if let refusal { return refusal }
        reservation = r
        guard availability == .probe, let breaker else { return availability }
        let now = clock.wallTime()
        for key in breaker.probeKeys(provider: c.provider.name, modelID: c.model.id, in: health, now: now) where !probes.contains(key) {
            guard claimer?.claimProbe(provider: key, now: now) ?? true else {
                settle(reservation, cost: 0)
                reservation = nil
                return .breakerOpen("breaker half-open; another request is probing")
            }
            probes.insert(key)
        }
        return .probe
    }

    /// Runs `request` through `plan`. With `live`, answer text is reported as
    /// `.delta` events as it arrives (and then counts as seen by the user).
    ///
    /// When an attempt breaks after the user saw part of its answer, the next
    /// attempt continues that text where its API allows a prefill (the user
    /// sees one whole answer), or starts the answer again (and says so).
    ///
    /// The decisions are `RequestMachine`'s; this drives it: admission,
    /// sleeping, sending and reporting.
    public func execute<G: RandomNumberGenerator>(
        _ plan: Plan, request: ChatRequest, live: Bool, using rng: inout G,
        observe: (RouterEvent) -> Void
    ) async -> RouteResult {
        var machine = RequestMachine(plan: plan, request: request, started: clock.now())
        var probes: Set<String> = []
        // Reservations of attempts in flight; one cut short by an interrupt is settled at what it reserved.
        var reservations: [Int: Reservation] = [:]
        defer { for r in reservations.values { settle(r, cost: r.amount) } }
        while true {
            if Task.isCancelled { return machine.result(failing: RequestMachine.interrupted, now: clock.now()) }
            switch machine.next(now: clock.now()) {
            case .finish(let failure):
                return machine.result(failing: failure, now: clock.now())
            case .wait(let until, let candidate):
                observe(.waiting(seconds: max(0, until - clock.now()), candidate: candidate))
                do { try await clock.sleep(until: until) } catch {
                    return machine.result(failing: RequestMachine.interrupted, now: clock.now())
                }
            case .admit(let i, let spent):
                let candidate = plan.candidates[i]
                var reservation: Reservation?
                let availability = admit(candidate, request: request, spent: spent, refusedWindow: machine.refusedWindow, probes: &probes,
                                         reservation: &reservation)
                reservations[i] = reservation
                if case .rateLimited(let readyAt, _) = availability, readyAt.isFinite {
                    // At its limit: held until a slot frees (said as a wait), when that is soon enough.
                    let until = clock.now() + max(0, readyAt - clock.wallTime())
                    if let skip = machine.held(i, availability, until: until, now: clock.now()) {
                        observe(.skipped(skip))
                    } else {
                        observe(.held(candidate: candidate, why: availability.reason))
                    }
                    continue
                }
                guard availability.isSendable else {
                    observe(.skipped(machine.refused(i, availability)))
                    continue
                }
                let canContinue = wires[candidate.provider.api]?.canContinue(candidate.provider) ?? false
                var send = machine.admitted(i, canContinue: canContinue, mayHedge: hedgeAllowed)
                if let (failed, bytes, continuing) = send.resuming {
                    observe(.resuming(failed: failed, shownBytes: bytes, continuing: continuing, on: candidate))
                }
                observe(.attemptStarted(candidate: candidate, attempt: send.number))
                if let j = send.backup {
                    var backupReservation: Reservation?
                    if admit(plan.candidates[j], request: request, spent: spent, refusedWindow: machine.refusedWindow, probes: &probes,
                             reservation: &backupReservation).isSendable {
                        reservations[j] = backupReservation
                    } else {
                        send.backup = nil
                    }
                }
                if let j = send.backup, let hedge = plan.hedge {
                    machine.hedging()
                    if let answer = await hedged(send, backup: j, after: hedgeDelay(hedge, for: candidate), machine: &machine,
                                                 live: live, using: &rng, observe: { event in
                                                     if case .attemptFinished(let record, _) = event {
                                                         let index = record.provider == candidate.provider.name && record.modelID == candidate.model.id ? i : j
                                                         settle(reservations.removeValue(forKey: index), cost: record.costUSD, usage: record.usage)
                                                     }
                                                     observe(event)
                                                 }) {
                        return answer
                    }
                    continue
                }
                // Live text is kept once, as the batches the user was shown.
                let outcome = await attempt(candidate, request: send.request, live: live, continuing: send.continuing, restarted: {
                    // The server started over instead of continuing: the answer is shown again from its start.
                    if let broken = machine.attempts.last {
                        observe(.resuming(failed: broken, shownBytes: machine.shown.joined.utf8.count, continuing: false, on: candidate))
                    }
                    machine.startedOver()
                }) { event in
                    if case .delta(let text) = event { machine.showed(text) }
                    observe(event)
                }
                let (record, verdict) = machine.ended(i, outcome, now: clock.now(), using: &rng)
                settle(reservations.removeValue(forKey: i), cost: record.costUSD, usage: record.usage)
                observe(.attemptFinished(record, verdict: verdict))
                if record.outcome == .ok {
                    return machine.result(answer: outcome, from: i, live: live, continued: send.continuing != nil, now: clock.now())
                }
            }
        }
    }

    /// Races `send` against its backup; the request's result when one of them answered.
    private func hedged<G: RandomNumberGenerator>(_ send: RequestMachine.Send, backup j: Int, after delay: Double,
                                                  machine: inout RequestMachine, live: Bool, using rng: inout G,
                                                  observe: (RouterEvent) -> Void) async -> RouteResult? {
        let backup = machine.plan.candidates[j]
        let sides = await race(send.candidate, backup, after: delay, request: send.request, live: live) { event in
            if case .delta(let text) = event { machine.showed(text) }
            observe(event)
        }
        var answer: (index: Int, outcome: AttemptOutcome)?
        // The winner last: a break in its answer is what the next attempt resumes.
        for side in sides.sorted(by: { !$0.won && $1.won }) {
            let index = side.candidate == send.candidate ? send.index : j
            let (record, verdict) = machine.ended(index, side.outcome, now: clock.now(), using: &rng)
            observe(.attemptFinished(record, verdict: verdict))
            if side.won || (answer == nil && record.outcome == .ok) { answer = (index, side.outcome) }
        }
        guard let (index, outcome) = answer, outcome.record.outcome == .ok else { return nil }
        return machine.result(answer: outcome, from: index, live: live, continued: false, now: clock.now())
    }

    /// A short human description of an attempt's outcome.
    public static func describe(_ a: AttemptRecord) -> String {
        var s = "\(a.outcome)"
        if let m = a.message, !m.isEmpty { s += " (\(m))" }
        return s
    }

    static func ms(_ seconds: Double) -> Int { Int(milliseconds: seconds) }
}
