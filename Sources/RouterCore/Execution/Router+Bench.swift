extension Router {
    /// One request on one candidate, as `bench --direct` measures it: no
    /// retry, no fallback, breakers not consulted. `onText` gets the time every
    /// chunk of answer text arrived: when its bytes reached the transport, so
    /// that a busy benchmark's own queueing does not count as the server's.
    /// The shared budgets still hold: a request none has room for is not sent (`.overBudget`).
    public func measure(_ c: Candidate, request: ChatRequest, onText: @escaping (Double) -> Void) async -> AttemptRecord {
        let (reservation, refusal) = reserve(c, request: request)
        if let refusal {
            var record = AttemptRecord(provider: c.provider.name, model: c.model.name, modelID: c.model.id, tier: c.tier, outcome: .overBudget)
            record.message = refusal.reason
            return record
        }
        // A full rate window is waited out: the wait counts in the request's latency, as queueing.
        var slot: Int64?
        while true {
            let (taken, full) = takeSlot(c, request: request)
            guard case .rateLimited(let readyAt, let why)? = full else {
                slot = taken
                break
            }
            guard readyAt.isFinite, (try? await clock.sleep(until: clock.now() + max(0.001, readyAt - clock.wallTime()))) != nil else {
                settle(reservation, cost: 0)
                var record = AttemptRecord(provider: c.provider.name, model: c.model.name, modelID: c.model.id, tier: c.tier, outcome: .overBudget)
                record.message = why
                return record
            }
        }
        let outcome = await attempt(c, request: request, live: true, textArrived: onText) { _ in }
        var record = outcome.record
        record.costUSD = record.usage.flatMap { c.model.cost(of: $0) }
        settle(Reservation(id: reservation?.id, amount: reservation?.amount ?? 0, slot: slot), cost: record.costUSD, usage: record.usage)
        return record
    }
}
