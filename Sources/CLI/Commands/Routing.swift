import CurlTransport
import Providers
import RouterCore
import StateStore

/// What every routed command loads once: the config, the keys, and the state
/// database (breakers, cooldowns, the attempt log, sessions).
struct RoutingContext {
    var config: Config
    /// The state database, or why it could not be opened; nil when there is nowhere to keep it.
    var state: Result<AttemptLog, AttemptLog.Failure>?
    let keys: EnvironmentKeys

    var log: AttemptLog? { if case .success(let l)? = state { return l } else { return nil } }

    static func load(configPath: String?, terminal: Terminal) async throws(InputProblem) -> RoutingContext {
        // The state database opens on another thread while the config is read.
        let opening = Routing.openState(terminal.environment)
        let config: Config
        do { config = try ConfigLocator.load(explicit: configPath, environment: terminal.environment) } catch {
            throw InputProblem(code: .config, kind: "config", message: "config error: \(error)")
        }
        return RoutingContext(config: config, state: await opening.value, keys: EnvironmentKeys(environment: terminal.environment))
    }

    /// The plan for `request`; a usage or config problem when the selection does not resolve.
    func plan<G: RandomNumberGenerator>(_ request: ChatRequest, selection: RouteSelection, using rng: inout G) throws(InputProblem) -> Plan {
        do { return try Planner(config: config).plan(request, selection: selection, using: &rng) } catch {
            throw error.kind == .usage ? .usage(error.message) : InputProblem(code: .config, kind: "config", message: error.message)
        }
    }

    /// A router for `plan` that knows the keys, the budget, and the breakers
    /// and cooldowns the state database holds now.
    func router(for plan: Plan, maxCost: Double?) -> Router {
        var router = Router(transport: CurlTransport.shared, wires: Wires.all, keys: keys)
        router.maxCost = maxCost
        // Breakers and cooldowns are shared by every llmr process through the
        // state database; without it, every candidate is tried.
        guard let log else { return router }
        router.breaker = Breaker(config: config.breaker)
        router.claimer = log
        let providers = Array(Set(plan.candidates.map(\.provider.name)))
        let now = SystemClock().wallTime()
        if let health = try? log.snapshot(providers: providers, now: now) { router.health = health }
        if let hedge = plan.hedge {
            if case .p95 = hedge.after, let p95 = try? log.firstTokenP95(providers: providers) { router.hedgeDelays = p95 }
            // The share over the last hour of this route's requests.
            if let share = try? log.hedgeShare(route: plan.route, since: now - 3600) { router.hedgeAllowed = hedge.allows(share: share) }
        }
        return router
    }
}

/// What `ask` and `route` both build before anything is sent: the config, the
/// plan, and a router that knows the keys, the budget, and the breakers and
/// cooldowns the state database holds.
struct Routing {
    var context: RoutingContext
    var plan: Plan
    var router: Router
    var rng: RequestRandom

    var config: Config { context.config }
    var state: Result<AttemptLog, AttemptLog.Failure>? { context.state }

    static func prepare(_ input: RequestInput, parsed: ParsedArguments, terminal: Terminal) async throws(InputProblem) -> Routing {
        let context = try await RoutingContext.load(configPath: parsed.value("config"), terminal: terminal)
        return try prepare(input, context: context)
    }

    static func prepare(_ input: RequestInput, context: RoutingContext) throws(InputProblem) -> Routing {
        var rng = RequestRandom(seed: input.seed)
        let plan = try context.plan(input.request, selection: input.selection, using: &rng)
        return Routing(context: context, plan: plan, router: context.router(for: plan, maxCost: input.maxCost), rng: rng)
    }

    /// The state database being opened on another thread: the one `EarlyStart`
    /// began, else a new task.
    enum StateOpening {
        /// Nowhere to keep state (no HOME and no state directory set).
        case none
        case early
        case task(Task<Result<AttemptLog, AttemptLog.Failure>, Never>)

        var value: Result<AttemptLog, AttemptLog.Failure>? {
            get async {
                switch self {
                case .none: return nil
                case .early: return await EarlyStart.state()
                case .task(let task): return await task.value
                }
            }
        }
    }

    static func openState(_ env: [String: String]) -> StateOpening {
        guard let dir = StatePath.directory(env) else { return .none }
        if EarlyStart.isOpening(dir) { return .early }
        return .task(Task.detached { open(dir) })
    }

    /// Opens (creating if needed) the state database in `dir`.
    static func open(_ dir: String) -> Result<AttemptLog, AttemptLog.Failure> {
        guard StatePath.makeDirectory(dir) else {
            return .failure(AttemptLog.Failure(path: dir, reason: "cannot create the directory"))
        }
        return Result { () throws(AttemptLog.Failure) in try AttemptLog(path: dir + "/state.sqlite") }
    }
}
