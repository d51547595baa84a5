import CurlTransport
import Providers
import RouterCore
import StateStore
import RedisStore

/// The composition root: what every routed use case loads once — the
/// config, the keys, the state store (breakers, cooldowns, the attempt log,
/// sessions), the transport and the wire formats — and the one place that
/// names libcurl, the wires and SQLite. Front ends (the CLI) see only ports.
public struct RoutingContext: Sendable {
    public var config: Config
    /// The state store, or why it could not be opened; nil when there is nowhere to keep it.
    public var state: Result<any StateBackend, StateFailure>?
    public let keys: any KeySource
    public let transport: any HTTPTransport
    public let wires: [WireAPI: any WireFormat]
    public let clock: any RouterClock
    /// The breaker's rules, built once from the config.
    public let breaker: Breaker
    /// The request's tag (`--tag`, else `LLMR_TAG`), for budgets scoped by tag.
    public var tag: String?
    /// Set by a long-running process (`llmr serve`): breakers and cooldowns read once per moment.
    public var healthCache: HealthCache?

    public init(config: Config, state: Result<any StateBackend, StateFailure>?, keys: any KeySource,
                transport: any HTTPTransport = SharedCurl(), wires: [WireAPI: any WireFormat] = Wires.all,
                clock: any RouterClock = SystemClock()) {
        self.config = config
        self.state = state
        self.keys = keys
        self.transport = transport
        self.wires = wires
        self.clock = clock
        breaker = Breaker(config: config.breaker)
    }

    /// The transport every use case sends through unless told otherwise.
    public static var defaultTransport: any HTTPTransport { SharedCurl() }

    /// Which state this process uses when it shares some through Redis (nil: this machine's file alone).
    public var sharedStateSummary: String? { (store as? SharedState)?.summary }

    /// Redis's health, for `providers check`: nil without shared state.
    public func checkSharedState() -> (address: String, ok: Bool, detail: String)? {
        guard let shared = store as? SharedState else { return nil }
        let (ok, detail) = shared.ping()
        return (shared.url.description, ok, detail)
    }

    /// The store when it opened.
    public var store: (any StateBackend)? { if case .success(let s)? = state { return s } else { return nil } }

    /// The config (`--config`, `$LLMR_CONFIG`, the user's file, else the
    /// embedded default), the keys from `environment`, and the state store,
    /// opened on another thread while the config is read.
    public static func load(configPath: String?, environment: [String: String]) async throws(Problem) -> RoutingContext {
        let opening = StateOpening.begin(environment)
        let config: Config
        do { config = try ConfigLocator.load(explicit: configPath, environment: environment) } catch {
            throw Problem(.config, "config error: \(error)")
        }
        var state = await opening.value
        if case .success(let store)? = state, let shared = SharedStateOpening.open(store, config: config, environment: environment) {
            state = .success(shared)
        }
        var context = RoutingContext(config: config, state: state, keys: EnvironmentKeys(environment: environment))
        if let tag = environment["LLMR_TAG"], !tag.isEmpty { context.tag = tag }
        return context
    }

    /// The plan for `request`; a usage or config problem when the selection does not resolve.
    public func plan<G: RandomNumberGenerator>(_ request: ChatRequest, selection: RouteSelection, using rng: inout G) throws(Problem) -> Plan {
        // strategy: fastest orders by the attempt log's recent figures: read only for such a route.
        var speeds: [String: Double] = [:]
        let planner = Planner(config: config)
        if let store, let route = try? planner.resolveRoute(selection), route.strategy == .fastest {
            let labels = route.targets.compactMap { t in (try? planner.resolveModel(t.model)).map { "\($0.0.name)/\($0.1.id)" } }
            speeds = (try? store.medianFirstToken(of: labels)) ?? [:]
        }
        do { return try Planner(config: config, speeds: speeds).plan(request, selection: selection, using: &rng) } catch {
            throw Problem(error.kind == .usage ? .usage : .config, error.message)
        }
    }

    /// A router for `plan` that knows the keys, the budget, and the breakers
    /// and cooldowns the state store holds now.
    public func router(for plan: Plan, maxCost: Double?) -> Router {
        var router = Router(transport: transport, wires: wires, keys: keys, clock: clock)
        router.maxCost = maxCost
        router.budgets = config.budgets
        router.tag = tag
        router.route = plan.route
        // Breakers and cooldowns are shared by every llmr process through the
        // state store; without it, every candidate is tried (and none a budget counts).
        guard let store else { return router }
        router.breaker = breaker
        router.claimer = store
        let providers = Array(Set(plan.candidates.map(\.provider.name)))
        let now = clock.wallTime()
        if plan.candidates.contains(where: { $0.provider.limits != nil || $0.model.limits != nil }) { router.rates = store }
        if !config.budgets.isEmpty { router.ledger = store }
        if let cache = healthCache {
            // Every configured provider at once, so that one copy serves every plan.
            let all = config.providers.map(\.name)
            if let health = cache.snapshot(now: clock.now(), read: { () throws(StateFailure) in try store.snapshot(providers: all, now: now) }) {
                router.health = health
            }
        } else if let health = try? store.snapshot(providers: providers, now: now) {
            router.health = health
        }
        if let hedge = plan.hedge {
            if case .p95 = hedge.after, let p95 = try? store.firstTokenP95(providers: providers) { router.hedgeDelays = p95 }
            // The share over the last hour of this route's requests.
            if let share = try? store.hedgeShare(route: plan.route, since: now - 3600) { router.hedgeAllowed = hedge.allows(share: share) }
        }
        return router
    }

    /// A router that sends to exactly what it is given: no breakers, no
    /// `--max-cost` (bench --direct); the shared budgets still hold.
    public func bareRouter() -> Router {
        var router = Router(transport: transport, wires: wires, keys: keys, clock: clock)
        router.budgets = config.budgets
        router.tag = tag
        router.ledger = store
        router.rates = store
        return router
    }

    /// Records the request's attempts (with the prompt and answer when the
    /// config keeps contents) and moves the breakers on. Returns why it could
    /// not, if it could not: a warning for the user, never a lost answer.
    public func record(_ result: RouteResult, request: ChatRequest) -> StateFailure? {
        guard let state, !result.attempts.isEmpty else { return nil }
        do {
            let store = try state.get()
            // Prompts and answers are kept only when the config asks for it.
            let content = config.logContent
                ? (prompt: request.messages.map { "\($0.role.rawValue): \($0.content)" }.joined(separator: "\n\n"), answer: result.text)
                : nil
            try store.record(result, requestID: RequestID.make(), at: clock.wallTime(), breaker: breaker, content: content)
            healthCache?.recorded(result)
            return nil
        } catch {
            return error
        }
    }
}

/// What `ask` and `route` both build before anything is sent: the context,
/// the plan, and a router that knows the keys, the budget, and the breakers
/// and cooldowns the state store holds.
public struct Routing {
    public var context: RoutingContext
    public var plan: Plan
    public var router: Router
    public var rng: RequestRandom

    public var config: Config { context.config }

    public static func prepare(_ request: ChatRequest, selection: RouteSelection, seed: UInt64?, maxCost: Double?,
                               context: RoutingContext) throws(Problem) -> Routing {
        var rng = RequestRandom(seed: seed)
        let plan = try context.plan(request, selection: selection, using: &rng)
        return Routing(context: context, plan: plan, maxCost: maxCost, rng: rng)
    }

    /// A plan made apart (`ask` looks in the response cache first), with a router
    /// that reads the breakers and cooldowns only now.
    public init(context: RoutingContext, plan: Plan, maxCost: Double?, rng: RequestRandom) {
        self.context = context
        self.plan = plan
        router = context.router(for: plan, maxCost: maxCost)
        self.rng = rng
    }

    /// Runs the plan; `observe` sees every router event as it happens.
    public mutating func execute(_ request: ChatRequest, live: Bool, observe: (RouterEvent) -> Void) async -> RouteResult {
        await router.execute(plan, request: request, live: live, using: &rng, observe: observe)
    }
}

/// The state store being opened on another thread: the one `EarlyStart`
/// began, else a new task.
enum StateOpening {
    /// Nowhere to keep state (no HOME and no state directory set).
    case none
    case early
    case task(Task<Result<any StateBackend, StateFailure>, Never>)

    var value: Result<any StateBackend, StateFailure>? {
        get async {
            switch self {
            case .none: return nil
            case .early: return await EarlyStart.state()
            case .task(let task): return await task.value
            }
        }
    }

    static func begin(_ env: [String: String]) -> StateOpening {
        guard let dir = StatePath.directory(env) else { return .none }
        if EarlyStart.isOpening(dir) { return .early }
        return .task(Task.detached { StatePath.open(dir) })
    }
}

/// The process's libcurl transport, made (and libcurl set up) at the first
/// request: a command that sends nothing, such as a cache hit, never pays for it.
public struct SharedCurl: HTTPTransport {
    public init() {}
    public func send(_ request: HTTPRequest) -> HTTPResponseStream { CurlTransport.shared.send(request) }
}
