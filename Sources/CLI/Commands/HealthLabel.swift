import RouterCore

/// How `route` and `providers` name a provider's key and breaker state.
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
}
