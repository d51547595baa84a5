import RouterCore

/// Keys as `route` sees them, without the keys: "present" when the variable
/// is set, "key_cmd" when a key command is configured (it is not run),
/// missing otherwise.
public struct PresenceKeys: KeySource {
    let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public func key(for p: ProviderConfig) -> KeyLookup {
        if let name = p.keyEnv, let v = environment[name], !v.trimmingWhitespace().isEmpty { return .key("present") }
        if p.keyCmd != nil { return .key("key_cmd") }
        if let name = p.keyEnv { return .missing("\(name) is not set (provider \(p.name) needs it)") }
        return .notNeeded
    }
}
