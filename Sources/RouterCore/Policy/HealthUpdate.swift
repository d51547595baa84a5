/// How one request's attempts move the breakers and cooldowns they concern:
/// the part of recording that is the same for every store. A store reads
/// each key's record and counts its failures in the window; `Breaker.after`
/// says what the record becomes.
public enum HealthUpdate {
    /// One breaker (and cooldown) key, with the attempts of this request that concern it.
    public struct Target: Sendable, Equatable {
        /// `provider`, or `provider/model-id` (`Breaker.modelKey`).
        public var key: String
        public var provider: String
        /// The model id for a model's breaker; nil for the provider's.
        public var modelID: String?
        public var attempts: [AttemptRecord]

        public var scope: Breaker.Scope { modelID == nil ? .provider : .model }
        /// Whether the request succeeded on this key (a probe that succeeded closes it).
        public var succeeded: Bool { attempts.contains { $0.outcome == .ok } }
        /// Whether this request failed in a way that counts against this key's breaker.
        public var failedNow: Bool { attempts.contains { HealthUpdate.scope(of: $0) == scope } }

        /// When a `Retry-After` on a 429 or 503, or rate-limit headers at 0, hold this key back until, if they do.
        /// A provider is held back only by its health checks' answers; a model by its own.
        public func cooldown(now: Double) -> Double? {
            let relevant = scope == .provider ? attempts.filter { $0.modelID == RecordedRoute.checkModel } : attempts
            let asked = relevant.compactMap { a -> Double? in
                guard let s = a.status, [429, 503, 529].contains(s), let r = a.retryAfterS, r > 0 else { return nil }
                return now + r
            }
            // A model whose own headers say its remaining requests or tokens are 0 is held until their reset.
            let held = scope == .model ? attempts.compactMap { $0.holdS.map { now + $0 } } : []
            return (asked + held).max()
        }
    }

    /// The keys a request's attempts concern: every provider sent to, then
    /// every model (health checks ask the provider, so they concern no model).
    /// Attempts never sent (no key, no wire format) concern none.
    public static func targets(of attempts: [AttemptRecord]) -> [Target] {
        let sent = attempts.filter { ![.noKey, .unsupported, .cacheHit, .overBudget].contains($0.outcome) }
        var providers: [Target] = []
        var models: [Target] = []
        for a in sent {
            if let i = providers.firstIndex(where: { $0.provider == a.provider }) {
                providers[i].attempts.append(a)
            } else {
                providers.append(Target(key: a.provider, provider: a.provider, modelID: nil, attempts: [a]))
            }
            guard a.modelID != RecordedRoute.checkModel else { continue }
            if let i = models.firstIndex(where: { $0.provider == a.provider && $0.modelID == a.modelID }) {
                models[i].attempts.append(a)
            } else {
                models.append(Target(key: Breaker.modelKey(provider: a.provider, modelID: a.modelID), provider: a.provider,
                                     modelID: a.modelID, attempts: [a]))
            }
        }
        return providers + models
    }

    /// Which breaker an attempt counts against. A health check asks the
    /// provider, not a model, so whatever it finds is the provider's.
    public static func scope(of a: AttemptRecord) -> Breaker.Scope? {
        guard let scope = Breaker.scope(of: a.outcome) else { return nil }
        return a.modelID == RecordedRoute.checkModel ? .provider : scope
    }
}
