import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// API keys from the environment variable named by `key_env`, or the output of
/// `key_cmd`. A key is looked up once per process and never printed.
public final class EnvironmentKeys: KeySource {
    private let environment: [String: String]
    private let cache = Mutex<[String: KeyLookup]>([:])

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public func key(for provider: ProviderConfig) -> KeyLookup {
        if let hit = cache.withLock({ $0[provider.name] }) { return hit }
        let result = lookup(provider)
        cache.withLock { $0[provider.name] = result }
        return result
    }

    private func lookup(_ p: ProviderConfig) -> KeyLookup {
        if let name = p.keyEnv {
            if let v = environment[name]?.trimmingWhitespace(), !v.isEmpty {
                // A line break in a key would add headers to the request: refused, and named by its variable only.
                guard !HTTPText.hasControlCharacters(v) else {
                    return .missing("\(name) holds a line break or another control character; a key is one line of text (provider \(p.name))")
                }
                Secrets.register(v)
                return .key(v)
            }
            if p.keyCmd == nil { return .missing("\(name) is not set (provider \(p.name) needs it)") }
        }
        if let cmd = p.keyCmd { return run(cmd, provider: p) }
        return .notNeeded
    }

    /// Runs `key_cmd` and takes the first line of its output.
    private func run(_ command: String, provider p: ProviderConfig) -> KeyLookup {
        switch KeyCommand.run(command, timeout: p.keyCmdTimeout) {
        case .failed(let why):
            return .missing("key_cmd for provider \(p.name) \(why)")
        case .output(let bytes):
            let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map { $0.trimmingWhitespace() } ?? ""
            guard !line.isEmpty else { return .missing("key_cmd for provider \(p.name) printed no key") }
            guard !HTTPText.hasControlCharacters(line) else {
                return .missing("key_cmd for provider \(p.name) printed a key with a control character in it; a key is one line of text")
            }
            Secrets.register(line)
            return .key(line)
        }
    }

    /// Registers the value of every configured `key_env` that is set, so that
    /// it is redacted from all output even if no request looks it up.
    public static func registerSecrets(of config: Config, environment: [String: String]) {
        for p in config.providers {
            if let name = p.keyEnv, let v = environment[name]?.trimmingWhitespace() { Secrets.register(v) }
        }
    }
}
