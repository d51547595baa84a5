import RedisStore
import RouterCore
import StateStore
#if canImport(Glibc)
import Glibc
#endif

/// The fleet's state (`state.shared`, `LLMR_STATE_SHARED` over it) around this
/// machine's file: opened when either names a Redis server.
enum SharedStateOpening {
    static func open(_ store: any StateBackend, config: Config, environment: [String: String]) -> SharedState? {
        let text = environment["LLMR_STATE_SHARED"].flatMap { $0.isEmpty ? nil : $0 } ?? config.state.shared
        guard let text, let local = store as? AttemptLog else { return nil }
        let warn: @Sendable (String) -> Void = { line in
            let out = line + "\n"
            _ = out.withCString { write(2, $0, strlen($0)) }
        }
        switch RedisURL.parse(text) {
        case .failure(let e):
            warn("llmr: state.shared: \(e.message); this process uses its local state")
            return nil
        case .success(let url):
            return SharedState(local: local, url: url, namespace: config.state.namespace, timeout: config.state.timeout,
                               budgetsOffline: config.state.budgetsOffline, sharedCache: config.cache.shared, warn: warn)
        }
    }
}
