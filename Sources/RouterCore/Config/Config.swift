/// The wire format a provider speaks.
public enum WireAPI: String, Sendable, CaseIterable {
    case openai
    case anthropic
    case gemini
}

/// How an OpenAI-compatible server lets a request continue a partial assistant message.
public enum Continuation: String, Sendable, CaseIterable {
    /// It does not (OpenAI itself): a broken answer restarts on another attempt.
    case none
    /// A trailing assistant message with `"prefix": true` (DeepSeek beta, Mistral).
    case prefix
    /// `"continue_final_message": true` (vLLM and servers built like it).
    case continueFinalMessage = "continue_final_message"
}

/// `state: {shared, namespace, timeout, budgets_offline}`: state shared by
/// every machine through Redis, besides each machine's own file.
public struct StateConfig: Sendable, Equatable {
    /// `redis://[user[:password]@]host[:port][/db]`; nil: this machine's state only.
    public var shared: String?
    /// The prefix of every key, so that teams can share one server.
    public var namespace = "llmr"
    /// Seconds to connect and for each command.
    public var timeout = 0.2
    /// With the shared ledger out of reach, whether this machine's own may
    /// stand in for it (`local`) or budgeted candidates are not sent (`refuse`).
    public var budgetsOffline: BudgetsOffline = .refuse

    public enum BudgetsOffline: String, Sendable, CaseIterable {
        case refuse, local
    }

    public init() {}
}

/// `serve: {listen, keys_env, max_concurrency, max_body}`.
public struct ServeConfig: Sendable, Equatable {
    public var listen = "127.0.0.1:8080"
    /// Environment variables holding the keys clients must send.
    public var keysEnv: [String] = []
    public var maxConcurrency = 256
    public var maxBody = 32 << 20
    /// How long a connection may send nothing: a request not read by then is
    /// answered 408, a keep-alive connection without one is closed.
    public var idleTimeout = 30.0

    public init() {}
}

/// How a provider is asked for JSON that fits a `--schema`.
public enum StructuredOutput: String, Sendable, CaseIterable {
    /// Its API's own form: OpenAI's `response_format`, Anthropic's
    /// `output_config.format`, Gemini's `responseJsonSchema`.
    case native
    /// A tool the model must call, whose input schema is the schema (Anthropic
    /// servers without structured outputs).
    case tool
    /// The schema in the system prompt: servers with no support at all.
    case prompt
}

/// One provider: where it is, how to authenticate, how long to wait for it.
public struct ProviderConfig: Sendable, Equatable {
    public var name: String
    public var api: WireAPI
    public var baseURL: String
    /// The environment variable that holds the key; nil with `keyCmd` or for keyless servers.
    public var keyEnv: String?
    /// A shell command whose standard output is the key.
    public var keyCmd: String?
    /// How long `keyCmd` may run before it is killed and the key counts as missing (0: no limit).
    public var keyCmdTimeout: Double = 10
    public var timeouts: Timeouts
    public var headers: [String: String]
    /// The request field that carries the output limit (`max_tokens` or `max_completion_tokens`).
    public var maxTokensField: String
    /// Whether to ask for a streamed answer; some servers only answer whole.
    public var stream: Bool
    /// How (and whether) an OpenAI-compatible server continues a partial answer.
    public var continuation: Continuation
    /// `limits:`: at most so many requests and tokens per window, shared by every process.
    public var limits: RateLimit?
    /// `structured_output:`: how a `--schema` is sent.
    public var structuredOutput: StructuredOutput = .native

    public init(name: String, api: WireAPI, baseURL: String, keyEnv: String? = nil, keyCmd: String? = nil,
                timeouts: Timeouts = Timeouts(), headers: [String: String] = [:],
                maxTokensField: String = "max_tokens", stream: Bool = true, continuation: Continuation = .none) {
        self.name = name
        self.api = api
        self.baseURL = baseURL
        self.keyEnv = keyEnv
        self.keyCmd = keyCmd
        self.timeouts = timeouts
        self.headers = headers
        self.maxTokensField = maxTokensField
        self.stream = stream
        self.continuation = continuation
    }

    /// True when the provider is configured to use no key at all (a local server).
    public var needsNoKey: Bool { keyEnv == nil && keyCmd == nil }
}

/// A catalog entry: a model name users type, the provider's id for it, its prices and window.
public struct ModelEntry: Sendable, Equatable {
    public var name: String
    public var provider: String
    /// The id the provider knows the model by.
    public var id: String
    /// USD per million input tokens.
    public var inputPrice: Double?
    /// USD per million output tokens.
    public var outputPrice: Double?
    /// USD per million input tokens read from the prompt cache; the input price when not given.
    public var cachedInputPrice: Double?
    /// Context window in tokens.
    public var context: Int?
    /// The most tokens one answer may have (the catalog's max output).
    public var maxOutput: Int?
    /// `limits:`: at most so many requests and tokens per window, shared by every process.
    public var limits: RateLimit?

    public init(name: String, provider: String, id: String, inputPrice: Double? = nil, outputPrice: Double? = nil, context: Int? = nil) {
        self.name = name
        self.provider = provider
        self.id = id
        self.inputPrice = inputPrice
        self.outputPrice = outputPrice
        self.context = context
    }

    /// The cost in USD of an answer with this usage, when both prices are known:
    /// cached input at `cachedInputPrice` (else the input price), the rest of
    /// the input at the input price, all output (reasoning included) at the output price.
    public func cost(of usage: Usage) -> Double? {
        guard let input = inputPrice, let output = outputPrice else { return nil }
        let cached = min(max(0, usage.cachedInputTokens ?? 0), usage.inputTokens)
        let fresh = Double(usage.inputTokens - cached) * input + Double(cached) * (cachedInputPrice ?? input)
        return (fresh + Double(usage.outputTokens) * output) / 1_000_000
    }
}

/// How a route orders its primary tier.
public enum Strategy: String, Sendable, CaseIterable {
    case fallback
    case weighted
    case cheapest
    /// By recent median time to first token, with an exploration share.
    case fastest
}

/// One entry of a route's tier: a catalog model or an inline `provider/model-id`.
public struct TargetRef: Sendable, Equatable {
    public var model: String
    public var weight: Double

    public init(model: String, weight: Double = 1) {
        self.model = model
        self.weight = weight
    }
}

/// Hedged requests: when the first target has no first token after a delay,
/// the next one starts too, and the first to answer wins.
public struct HedgeConfig: Sendable, Equatable {
    public enum Delay: Sendable, Equatable {
        case fixed(Double)
        /// The provider's recent 95th-percentile time to first token.
        case p95
    }

    public var after: Delay
    /// The largest share of recent requests that may hedge (0 to 1).
    public var maxShare: Double

    public init(after: Delay, maxShare: Double = 0.1) {
        self.after = after
        self.maxShare = maxShare
    }

    /// Whether a request may hedge when `share` of recent requests did: below
    /// the cap, or always when the cap is 100%.
    public func allows(share: Double) -> Bool {
        maxShare >= 1 || share < maxShare
    }
}

/// A named route: a strategy over a primary tier, then a fallback tier in order.
public struct RouteConfig: Sendable, Equatable {
    public var name: String
    public var strategy: Strategy
    /// Attempts per target beyond the first, on retryable errors.
    public var retries: Int
    /// A cap on attempts for one request, over every target.
    public var maxAttempts: Int
    /// The longest llmr waits before retrying a target (backoff or `Retry-After`);
    /// a target that asks for longer is given up on for this request.
    public var maxRetryWait: Double
    public var targets: [TargetRef]
    public var fallback: [TargetRef]
    /// Off unless the route asks for it.
    public var hedge: HedgeConfig?
    /// `strategy: fastest`: the share of requests that try another candidate first, so figures stay fresh.
    public var explore = 0.05

    public init(name: String, strategy: Strategy = .fallback, retries: Int = 2, maxAttempts: Int = 8,
                maxRetryWait: Double = 30, targets: [TargetRef], fallback: [TargetRef] = [], hedge: HedgeConfig? = nil) {
        self.name = name
        self.strategy = strategy
        self.retries = retries
        self.maxAttempts = maxAttempts
        self.maxRetryWait = maxRetryWait
        self.targets = targets
        self.fallback = fallback
        self.hedge = hedge
    }
}

/// The circuit breaker's thresholds.
public struct BreakerConfig: Sendable, Equatable {
    public var failures: Int
    public var window: Double
    public var openFor: Double

    public init(failures: Int = 5, window: Double = 60, openFor: Double = 300) {
        self.failures = failures
        self.window = window
        self.openFor = openFor
    }
}

/// The whole configuration, validated: every reference in it resolves.
public struct Config: Sendable, Equatable {
    /// Where it came from: a file path, or `<embedded default>`.
    public var source: String
    /// Providers in the order the file lists them.
    public var providers: [ProviderConfig]
    /// Catalog models in the order the file lists them.
    public var models: [ModelEntry]
    public var routes: [RouteConfig]
    public var tasks: [String: String]
    public var breaker: BreakerConfig
    /// `health.interval`: how often `providers check --watch` probes.
    public var healthInterval: Double = 30
    /// `log.content`: keep prompts and answers in the state database (off by default).
    public var logContent = false
    /// `alerts:`: the thresholds `providers stats` marks.
    public var alerts = AlertConfig()
    /// `chat:`: the REPL's history and what to do with a conversation no window holds.
    public var chat = ChatConfig()
    /// `budgets:`, in the order the file lists them.
    public var budgets: [BudgetConfig] = []
    /// `cache:`: the response cache's mode and time to live.
    public var cache = CacheConfig()
    /// `serve:`: the gateway's address, client keys and limits.
    public var serve = ServeConfig()
    /// `state:`: what is shared beyond this machine.
    public var state = StateConfig()

    public init(source: String, providers: [ProviderConfig], models: [ModelEntry], routes: [RouteConfig],
                tasks: [String: String] = [:], breaker: BreakerConfig = BreakerConfig()) {
        self.source = source
        self.providers = providers
        self.models = models
        self.routes = routes
        self.tasks = tasks
        self.breaker = breaker
    }

    public func provider(named name: String) -> ProviderConfig? {
        providers.first { $0.name == name }
    }

    public func model(named name: String) -> ModelEntry? {
        models.first { $0.name == name }
    }

    public func route(named name: String) -> RouteConfig? {
        routes.first { $0.name == name }
    }
}

/// The `chat:` section.
public struct ChatConfig: Sendable, Equatable {
    /// Whether the REPL keeps a history file.
    public var history = true
    /// The most entries the history keeps.
    public var historySize = 1000
    /// Drop the oldest turns (with a notice) when no candidate's window holds the conversation.
    public var trimOldest = false

    public init() {}
}
