import RouterCore

/// One chat conversation and everything that goes with it: the route or
/// model that answers, the options, what was spent, and where it is saved.
/// `chat` (the REPL and piped stdin) and `ask -c` drive it a turn at a time;
/// it prints nothing: what happens is told through `ChatEvent`s.
public final class ChatSession {
    public let context: RoutingContext
    /// The route or model the turns go through; changing it ends the stay on the last turn's candidate.
    public var selection: RouteSelection {
        didSet { lastAnswered = nil }
    }
    public var conversation = Conversation()
    /// The session's name in the state store; it is saved with its first turn.
    public var name: String
    public var maxTokens: Int?
    public var temperature: Double?
    /// `--schema`: every answer must be JSON that validates against it.
    public var schema: OutputSchema?
    /// `--max-cost`: the most the whole session may cost.
    public var maxCost: Double?
    public var seed: UInt64?
    /// Spent in this run of the session, in all and by provider.
    public private(set) var spent = 0.0
    public private(set) var spentByProvider: [String: Double] = [:]
    /// Spent by the session's earlier runs (a resumed session).
    public private(set) var spentBefore = 0.0
    /// The response cache for the turns (`--cache`, `LLMR_CACHE`, `cache.mode`).
    public var cacheMode: CacheMode = .off
    /// The provider and model that answered the last turn: the next turn tries them first.
    public private(set) var lastAnswered: (provider: String, model: String)?
    /// A file's text that goes with the next message.
    public var attachment: (path: String, text: String)?
    /// The last message sent, for `/retry`, and its saved turn's number.
    public private(set) var lastUser: String?
    public private(set) var lastTurn: Int?
    private let clock: any RouterClock

    /// What happens during a turn, in order.
    public enum Event {
        /// The plan the turn will follow.
        case planned(Plan)
        /// What the router reports as it works.
        case router(RouterEvent)
        /// Something the user should be told (the oldest turns were dropped).
        case note(String)
        /// The turn was answered from the response cache: nothing was sent.
        case cacheHit(CachedAnswer)
    }

    /// What became of one turn.
    public struct Turn {
        public var result: RouteResult
        /// The message as sent (with any attached file).
        public var user: String
        /// Its number in the session, once saved.
        public var number: Int?
        /// Why nothing was sent, when the turn was refused before routing.
        public var refusal: Problem?
        /// Why the turn was not saved, when saving failed (the answer is unaffected).
        public var unsaved: StateFailure?
    }

    public init(context: RoutingContext, selection: RouteSelection, name: String = "", maxTokens: Int? = nil,
                temperature: Double? = nil, maxCost: Double? = nil, seed: UInt64? = nil, system: String? = nil,
                clock: any RouterClock = SystemClock()) {
        self.context = context
        // A conversation with no route chosen goes where the `chat` task says, as `ask -t chat` would.
        self.selection = selection == .automatic && context.config.tasks["chat"] != nil ? .task("chat") : selection
        self.name = name
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.maxCost = maxCost
        self.seed = seed
        self.clock = clock
        conversation.system = system
    }

    public var store: (any StateBackend)? { context.store }

    /// The name of the most recently used saved session, if any; a store
    /// that cannot be read says why instead of seeming empty.
    public func mostRecent() throws(StateFailure) -> String? {
        guard let state = context.state else { return nil }
        return try state.get().sessions().first?.name
    }

    /// A fresh name for a new session, `chat-YYYYMMDD-HHMMSS` with a suffix
    /// when taken, claimed in the store so that chats started in the same
    /// second never share one.
    public func newName() -> String {
        let now = clock.wallTime()
        let base = "chat-" + Timestamp.compact(now)
        var n = 1
        while true {
            let name = n == 1 ? base : "\(base)-\(n)"
            // Without a usable store nothing is saved, so nothing can collide.
            guard let store, let claimed = try? store.claimSession(name, at: now) else { return name }
            if claimed { return name }
            n += 1
        }
    }

    /// Loads session `name` from the store; false when there is none.
    public func resume(_ name: String) throws(StateFailure) -> Bool {
        guard let store, let saved = try store.session(name) else { return false }
        self.name = name
        conversation = Conversation(system: saved.system, turns: saved.turns.map { .init(user: $0.user, assistant: $0.assistant) })
        spentBefore = saved.turns.compactMap(\.costUSD).reduce(saved.takenBackUSD, +)
        lastAnswered = saved.turns.last.flatMap { t in t.provider.flatMap { p in t.model.map { (p, $0) } } }
        spent = 0
        spentByProvider = [:]
        return true
    }

    /// A new conversation under a new name, keeping the system prompt.
    public func clear() {
        conversation = Conversation(system: conversation.system)
        lastAnswered = nil
        lastUser = nil
        lastTurn = nil
        name = newName()
        spentBefore = 0
        spent = 0
        spentByProvider = [:]
    }

    /// Takes the last turn back for `/retry`: it leaves the conversation and the saved session.
    /// Returns the message to send again.
    public func takeBackLast() -> String? {
        guard let last = lastUser else { return nil }
        // A retry asks for another answer: it is not bound to the candidate of the one taken back.
        lastAnswered = nil
        if conversation.turns.last?.user == last { conversation.turns.removeLast() }
        if let turn = lastTurn { try? store?.deleteTurn(session: name, turn: turn) }
        lastUser = nil
        lastTurn = nil
        return last
    }

    /// Renames the session; a problem when the new name is taken or the store fails.
    public func rename(to new: String) -> String? {
        do {
            if let store, try store.renameSession(name, to: new) == false, try store.session(new) != nil {
                return "a session named '\(new)' already exists"
            }
        } catch {
            return "cannot rename: \(error.reason)"
        }
        name = new
        return nil
    }

    /// What the prompt shows: the model or route about to answer.
    public var target: String {
        switch selection {
        case .model(let m): return m
        case .route(let r): return r
        case .task(let t): return context.config.tasks[t] ?? t
        case .automatic: return context.config.tasks["chat"] ?? "default"
        }
    }

    /// A problem with a model or route choice, checked as a request would plan it.
    public func check(_ s: RouteSelection) -> String? {
        var rng = RequestRandom(seed: 0)
        do { _ = try context.plan(ChatRequest(messages: [Message(role: .user, content: "")]), selection: s, using: &rng) } catch {
            return error.message
        }
        return nil
    }

    /// Sends `text` (with any attached file) as the next turn through the
    /// router. `live` reports the answer as `.delta` events as it comes.
    /// `only` overrides the selection for this turn (`/retry MODEL`).
    /// The turn is neither counted nor saved until `commit`.
    public func send(_ text: String, live: Bool, only: RouteSelection? = nil, observe: (Event) -> Void) async -> Turn {
        var user = text
        if let file = attachment {
            user += "\n\n[\(file.path)]\n" + file.text
            attachment = nil
        }
        lastUser = user
        var rng = RequestRandom(seed: seed)
        var request = conversation.request(adding: user, maxTokens: maxTokens, temperature: temperature)
        request.schema = schema
        var plan: Plan
        do { plan = try context.plan(request, selection: only ?? selection, using: &rng) } catch {
            return refused(user, error)
        }
        switch conversation.fit(adding: user, maxTokens: maxTokens, windows: plan.candidates.map(\.model.context),
                                trim: context.config.chat.trimOldest) {
        case .fits:
            break
        case .trimmed(let dropped, let window):
            observe(.note("the conversation outgrew every window (largest \(window) tokens): dropped the oldest \(dropped) turn\(dropped == 1 ? "" : "s") (chat.trim: oldest)"))
            request = conversation.request(adding: user, maxTokens: maxTokens, temperature: temperature)
            request.schema = schema
            do { plan = try context.plan(request, selection: only ?? selection, using: &rng) } catch {
                return refused(user, error)
            }
        case .tooLarge(let tokens, let window, let alone):
            let what = alone ? "this message is" : "the conversation is"
            let help = alone ? "shorten the message" : "/trim drops the oldest turns, /clear starts afresh"
            return refused(user, Problem(.input, """
                \(what) about \(tokens) tokens, more than any candidate's context window holds \
                (the largest is \(window)); nothing was sent. \(help)
                """))
        }
        // The conversation stays where its last turn was answered (unless this turn names a model).
        if only == nil, let (provider, model) = lastAnswered { plan = plan.keeping(provider: provider, model: model) }
        // The whole conversation is the key: a turn replays only after the same earlier turns.
        // Made only when the cache is on: it serializes every message.
        let key = cacheMode == .off ? nil : Caching.key(plan, request: request, seed: seed)
        if cacheMode.reads, let key {
            let (hit, warning) = context.cached(key)
            if let warning { observe(.note("warning: " + warning)) }
            if let hit {
                observe(.cacheHit(hit))
                return Turn(result: RouteResult(route: plan.route, cached: hit), user: user)
            }
            if cacheMode == .readOnly {
                return refused(user, Problem(.cacheMiss, "the response cache (read-only) has no answer for this turn ('\(key.summary)'); nothing was sent"))
            }
        }
        observe(.planned(plan))
        let router = context.router(for: plan, maxCost: maxCost.map { max(0, $0 - spent) })
        let result = await router.execute(plan, request: request, live: live, using: &rng) { observe(.router($0)) }
        if cacheMode.writes, let key, let warning = context.keep(result, key: key) { observe(.note("warning: " + warning)) }
        return Turn(result: result, user: user)
    }

    /// Counts the turn's cost, saves it with its attempts (in one step), and
    /// adds it to the conversation when it answered.
    public func commit(_ turn: inout Turn) {
        guard turn.refusal == nil else { return }
        let result = turn.result
        spent += result.costUSD ?? 0
        for a in result.attempts { spentByProvider[a.provider, default: 0] += a.costUSD ?? 0 }
        turn.number = save(result, user: turn.user, unsaved: &turn.unsaved)
        lastTurn = turn.number
        if result.failure == nil, let answer = result.text {
            conversation.turns.append(.init(user: turn.user, assistant: answer))
            if let p = result.provider, let m = result.model { lastAnswered = (p, m) }
        }
    }

    private func save(_ result: RouteResult, user: String, unsaved: inout StateFailure?) -> Int? {
        // No state at all (no HOME, no LLMR_STATE_DIR) keeps nothing, silently; an unusable one is said.
        // A cache hit has no attempt but is a turn all the same.
        guard let state = context.state, !result.attempts.isEmpty || result.cachedAt != nil else { return nil }
        do {
            return try state.get().recordTurn(session: name, system: conversation.system, user: user, result: result,
                                        requestID: RequestID.make(), at: clock.wallTime(), breaker: context.breaker)
        } catch {
            unsaved = error
            return nil
        }
    }

    private func refused(_ user: String, _ problem: Problem) -> Turn {
        var result = RouteResult(route: nil, attempts: [])
        result.failure = RouteFailure(kind: problem.kind == .input ? .tooLarge : .exhausted, message: problem.message)
        return Turn(result: result, user: user, refusal: problem)
    }
}
