import RouterCore

/// `providers check`: one probe per provider, all at once, each fed into the
/// provider's breaker like any attempt.
public struct HealthCheck: Sendable {
    public let context: RoutingContext

    public init(context: RoutingContext) {
        self.context = context
    }

    /// One probe's result.
    public struct Probe: Sendable {
        public var record: AttemptRecord
        /// Which request probed: the model list, or a one-token chat where there is no list.
        public var via: String
        public var provider: String { record.provider }
        public var outcome: Outcome { record.outcome }
        public var status: Int? { record.status }
        public var latencyMs: Int { record.latencyMs }
        public var message: String? { record.message }
    }

    /// Probes every provider at once and records each result, in `providers`' order.
    public func probeAll(_ providers: [ProviderConfig]) async -> [Probe] {
        let router = context.bareRouter()
        let probes = await withTaskGroup(of: Probe.self) { group in
            for p in providers {
                let model = Self.cheapestModel(of: p.name, in: context.config)
                group.addTask {
                    let (record, via) = await router.probe(p, chatModel: model)
                    return Probe(record: record, via: via)
                }
            }
            var out: [Probe] = []
            for await probe in group { out.append(probe) }
            return out
        }
        let ordered = providers.compactMap { p in probes.first { $0.provider == p.name } }
        record(ordered)
        return ordered
    }

    private func record(_ probes: [Probe]) {
        guard let store = context.store else { return }
        let breaker = context.breaker
        let now = context.clock.wallTime()
        let health = (try? store.snapshot(providers: probes.map(\.provider), now: now)) ?? HealthSnapshot()
        for probe in probes where probe.outcome != .noKey {
            // A check that finds the breaker due for its half-open probe is that probe.
            if breaker.view(health.breakers[probe.provider], now: now) == .probeAvailable {
                _ = store.claimProbe(provider: probe.provider, now: now)
            }
            try? store.recordCheck(probe.record, at: now, breaker: breaker)
            // The provider answered: whatever its breaker said, it is up.
            if probe.outcome == .ok { try? store.closeBreaker(provider: probe.provider, now: now) }
        }
    }

    /// The provider's cheapest catalog model (by input plus output price; unpriced last), for a chat probe.
    public static func cheapestModel(of provider: String, in config: Config) -> ModelEntry? {
        func price(_ m: ModelEntry) -> Double { (m.inputPrice ?? .infinity) + (m.outputPrice ?? .infinity) }
        return config.models.filter { $0.provider == provider }.min { price($0) < price($1) }
    }
}
