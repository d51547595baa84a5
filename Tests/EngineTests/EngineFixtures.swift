import Providers
import RouterCore
import TestSupport
@testable import Engine

/// A config, a scripted transport, a manual clock and an in-memory store,
/// wired as the engine wires the real ones.
struct EngineWorld {
    static let yaml = """
        providers:
          a: {api: openai, base_url: http://a/v1, key_env: A_KEY}
          b: {api: openai, base_url: http://b/v1, key_env: B_KEY}
          bare: {api: openai, base_url: http://bare/v1}
        models:
          ma: {provider: a, input: 1, output: 2, context: 100000}
          mb: {provider: b, input: 1, output: 2, context: 100000}
          tiny: {provider: a, id: tiny-1, input: 1, output: 2, context: 60}
          mbare: {provider: bare, input: 1, output: 1}
        routes:
          default: {strategy: fallback, retries: 0, targets: [ma], fallback: [mb]}
          small: {strategy: fallback, retries: 0, targets: [tiny]}
        tasks:
          chat: default
        """

    let clock = ManualClock()
    let transport: ScriptedTransport
    let store: InMemoryState
    let context: RoutingContext

    init(_ replies: [String: [ScriptedTransport.Reply]], extra: String = "", store: InMemoryState = InMemoryState()) throws {
        transport = ScriptedTransport(replies, clock: clock)
        self.store = store
        let config = try ConfigLoader.load(yaml: Self.yaml + extra, source: "test")
        context = RoutingContext(config: config, state: .success(store), keys: FixedKeys(["a": "ka", "b": "kb"]),
                                 transport: transport, wires: Wires.all, clock: clock)
    }

    static let busy = ScriptedTransport.Reply.response(status: 503, headers: [], chunks: [#"{"error":{"message":"busy"}}"#])
}
