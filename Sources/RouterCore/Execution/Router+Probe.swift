extension Router {
    /// A health probe of `provider`: its model list, or — where the server has
    /// none (404 or 405) — one token of chat from `chatModel`, sent as an
    /// ordinary attempt. The result is recorded as the provider's, not a model's.
    public func probe(_ provider: ProviderConfig, chatModel: ModelEntry?) async -> (record: AttemptRecord, via: String) {
        var record = AttemptRecord(provider: provider.name, model: RecordedRoute.checkModel, modelID: RecordedRoute.checkModel,
                                   tier: .primary, outcome: .ok)
        let key: String?
        switch keys.key(for: provider) {
        case .key(let k): key = k
        case .notNeeded: key = nil
        case .missing(let why):
            record.outcome = .noKey
            record.message = why
            return (record, "-")
        }
        guard let wire = wires[provider.api] else {
            record.outcome = .unsupported
            record.message = "no \(provider.api.rawValue) support"
            return (record, "-")
        }
        let start = clock.now()
        var status: Int?
        var body: [UInt8] = []
        do {
            for try await event in transport.send(wire.probeRequest(provider: provider, key: key)) {
                switch event {
                case .head(let h):
                    status = h.status
                    record.retryAfterS = h.header("retry-after").flatMap { RetryAfter.seconds($0, now: clock.wallTime()) }
                case .body(let b):
                    let room = Self.errorBodyLimit - body.count
                    if room > 0 { body += b.prefix(room) }
                }
            }
            if let s = status, !(200..<300).contains(s) {
                record.outcome = .http(s)
                let e = wire.classify(status: s, body: body)
                record.message = "\(e.kind.rawValue): \(e.message)"
            }
        } catch let f as TransportFailure {
            (record.outcome, record.message) = Self.outcome(of: f)
        } catch {
            (record.outcome, record.message) = (.dropped, "\(error)")
        }
        record.status = status
        record.latencyMs = Self.ms(clock.now() - start)
        guard let s = status, s == 404 || s == 405, let model = chatModel else { return (record, "model list") }
        // No model list: one token of chat, through the same path as any answer.
        var candidate = Candidate(provider: provider, model: model, tier: .primary, weight: 1, estimatedCost: nil, reason: "probe")
        candidate.provider.stream = false
        let ping = ChatRequest(messages: [Message(role: .user, content: "ping")], maxTokens: 1)
        var chat = await attempt(candidate, request: ping, live: false) { _ in }.record
        chat.model = RecordedRoute.checkModel
        chat.modelID = RecordedRoute.checkModel
        // One token may be no text at all: the server answered, which is all a probe asks.
        if chat.outcome == .empty { chat.outcome = .ok; chat.message = nil }
        return (chat, "one-token chat with \(model.name)")
    }
}
