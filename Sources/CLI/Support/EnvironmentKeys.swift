import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// API keys from the environment variable named by `key_env`, or the output of
/// `key_cmd`. A key is looked up once per process and never printed.
final class EnvironmentKeys: KeySource {
    private let environment: [String: String]
    private let cache = Mutex<[String: KeyLookup]>([:])

    init(environment: [String: String]) {
        self.environment = environment
    }

    func key(for provider: ProviderConfig) -> KeyLookup {
        if let hit = cache.withLock({ $0[provider.name] }) { return hit }
        let result = lookup(provider)
        cache.withLock { $0[provider.name] = result }
        return result
    }

    private func lookup(_ p: ProviderConfig) -> KeyLookup {
        if let name = p.keyEnv {
            if let v = environment[name]?.trimmingWhitespace(), !v.isEmpty { return .key(v) }
            if p.keyCmd == nil { return .missing("\(name) is not set (provider \(p.name) needs it)") }
        }
        if let cmd = p.keyCmd { return run(cmd, provider: p.name) }
        return .notNeeded
    }

    /// Runs `key_cmd` through the shell and takes its first line.
    private func run(_ command: String, provider: String) -> KeyLookup {
        guard let pipe = popen(command, "r") else { return .missing("key_cmd for provider \(provider) could not start") }
        let bytes = (try? FileIO.readAll(fd: fileno(pipe), limit: 1 << 20)) ?? []
        let status = pclose(pipe)
        let exitCode = (status >> 8) & 0xff
        guard status == 0 else { return .missing("key_cmd for provider \(provider) failed (exit \(exitCode))") }
        let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map { $0.trimmingWhitespace() } ?? ""
        return line.isEmpty ? .missing("key_cmd for provider \(provider) printed no key") : .key(line)
    }
}
