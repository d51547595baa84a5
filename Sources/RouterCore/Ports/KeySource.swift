/// Where API keys come from; the engine reads the environment and runs `key_cmd`.
public protocol KeySource: Sendable {
    func key(for provider: ProviderConfig) -> KeyLookup
}

/// The result of looking up a provider's key.
public enum KeyLookup: Sendable, Equatable {
    case key(String)
    /// The provider needs none (a local server).
    case notNeeded
    /// The key is missing; the text says which variable or command to fix.
    case missing(String)
}
