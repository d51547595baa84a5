extension Router {
    /// One request on one candidate, as `bench --direct` measures it: no
    /// retry, no fallback, breakers not consulted. `onText` gets the time every
    /// chunk of answer text arrived: when its bytes reached the transport, so
    /// that a busy benchmark's own queueing does not count as the server's.
    /// The shared budgets still hold: a request none has room for is not sent (`.overBudget`).
    public func measure(_ c: Candidate, request: ChatRequest, onText: @escaping (Double) -> Void) async -> AttemptRecord {
        // A full rate window is waited out: the wait counts in the request's latency, as queueing.
        var reservation: Reservation?
        while true {
            let (taken, refusal) = reserve(c, request: request)
            guard let refusal else {
                reservation = taken
                break
            }
            if case .rateLimited(let readyAt, _) = refusal, readyAt.isFinite,
               (try? await clock.sleep(until: clock.now() + max(0.001, readyAt - clock.wallTime()))) != nil {
                continue
            }
            var record = AttemptRecord(provider: c.provider.name, model: c.model.name, modelID: c.model.id, tier: c.tier, outcome: .overBudget)
            record.message = refusal.reason
            return record
        }
        let outcome = await attempt(c, request: request, live: true, textArrived: onText) { _ in }
        var record = outcome.record
        record.costUSD = record.usage.flatMap { c.model.cost(of: $0) }
        settle(reservation, cost: record.costUSD, usage: record.usage)
        return record
    }
}
