import Engine
import RouterCore

/// How `route`, `providers` and `stats` name a provider's key, and the
/// breakers and cooldowns of a provider and of its models.
enum HealthLabel {
    /// "present", "key_cmd" (configured, not run), "not needed" or "missing".
    static func key(_ lookup: KeyLookup) -> String {
        switch lookup {
        case .key(let how): return how
        case .notNeeded: return "not needed"
        case .missing: return "missing"
        }
    }

    /// "closed", "open" (with when it closes), "half-open" or "half-open, probing".
    static func breaker(_ view: BreakerView) -> (state: String, openUntil: Double?) {
        switch view {
        case .closed: return ("closed", nil)
        case .open(let until): return ("open", until)
        case .probeAvailable: return ("half-open", nil)
        case .probing: return ("half-open, probing", nil)
        }
    }

    /// One breaker or cooldown as a few words: "open 4m 59s", "half-open",
    /// "cooling down 58s"; nil when it holds nothing back.
    static func holding(_ key: String, _ breaker: Breaker, _ health: HealthSnapshot, now: Double) -> String? {
        var parts: [String] = []
        let (state, until) = Self.breaker(breaker.view(health.breakers[key], now: now))
        if state != "closed" { parts.append(until.map { "\(state) \(DurationParser.format(max(0, $0 - now)))" } ?? state) }
        if let c = health.cooldowns[key], c > now { parts.append("cooling down \(DurationParser.format(c - now))") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// A model's health with its provider's: "closed", or what holds it back
    /// and at which level ("model open 4m", "provider open 30s, model cooling down 10s").
    static func combined(provider: String, modelID: String, _ breaker: Breaker, _ health: HealthSnapshot, now: Double) -> String {
        let parts = [("provider", provider), ("model", Breaker.modelKey(provider: provider, modelID: modelID))]
            .compactMap { scope, key in holding(key, breaker, health, now: now).map { "\(scope) \($0)" } }
        return parts.isEmpty ? "closed" : parts.joined(separator: ", ")
    }

    /// The models of `provider` that a breaker or cooldown holds back, as
    /// (model id, "open 4m" / "cooling down 10s"), by model id.
    static func heldModels(of provider: String, _ breaker: Breaker, _ health: HealthSnapshot, now: Double) -> [(String, String)] {
        let prefix = provider + "/"
        let keys = Set(health.breakers.keys).union(health.cooldowns.keys).filter { $0.hasPrefix(prefix) }.sorted()
        return keys.compactMap { key in holding(key, breaker, health, now: now).map { (String(key.dropFirst(prefix.count)), $0) } }
    }
}
