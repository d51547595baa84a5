extension Router {
    /// One request on one candidate, as `bench --direct` measures it: no
    /// retry, no fallback, breakers not consulted. `onText` gets the time every
    /// chunk of answer text arrived: when its bytes reached the transport, so
    /// that a busy benchmark's own queueing does not count as the server's.
    public func measure(_ c: Candidate, request: ChatRequest, onText: @escaping (Double) -> Void) async -> AttemptRecord {
        let outcome = await attempt(c, request: request, live: true, textArrived: onText) { _ in }
        var record = outcome.record
        record.costUSD = record.usage.flatMap { c.model.cost(of: $0) }
        return record
    }
}
