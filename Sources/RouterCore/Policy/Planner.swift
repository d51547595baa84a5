/// Which route a request asked for.
public enum RouteSelection: Sendable, Equatable {
    /// `-m MODEL`: one model, no routing.
    case model(String)
    /// `-r NAME`
    case route(String)
    /// `-t NAME`, looked up in `tasks:`
    case task(String)
    /// Nothing asked: the route named `default`.
    case automatic
}

/// The tier a candidate came from.
public enum Tier: String, Sendable, Equatable {
    case primary
    case fallback
}

/// One target of a plan, resolved to its provider and catalog entry.
public struct Candidate: Sendable, Equatable {
    public var provider: ProviderConfig
    public var model: ModelEntry
    public var tier: Tier
    public var weight: Double
    /// The most this request can cost on this model (`Planner.worstCase`), when the catalog has its prices.
    public var estimatedCost: Double?
    /// Why it stands where it does in the plan.
    public var reason: String

    /// `provider/model-id`, as the -v trace shows attempts.
    public var label: String { "\(provider.name)/\(model.id)" }
    /// The model's one name for people: its catalog name, else the
    /// `provider/model-id` that was typed.
    public var name: String { model.name }
}

/// The ordered candidates for one request, and the rules to walk them by.
public struct Plan: Sendable, Equatable {
    /// The route's name; nil when `-m` bypassed routing.
    public var route: String?
    public var strategy: Strategy
    public var retries: Int
    public var maxAttempts: Int
    public var maxRetryWait: Double
    public var candidates: [Candidate]
    /// The route's hedging, if it asks for it.
    public var hedge: HedgeConfig?
}

/// Why no plan could be made.
public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The user named something that does not exist (exit 64).
        case usage
        /// The configuration lacks what the request needs (exit 78).
        case config
    }

    public var kind: Kind
    public var message: String

    public var description: String { message }
}

/// Turns a request and a route selection into a plan. Pure: randomness is passed in.
public struct Planner: Sendable {
    public let config: Config
    /// Recent median time to first token (else latency) in milliseconds, by
    /// `provider/model-id`, for `strategy: fastest`; read from the attempt log.
    public let speeds: [String: Double]
    /// Output tokens assumed for cost estimates when `--max-tokens` is not given.
    public static let expectedOutputTokens = 500

    public init(config: Config, speeds: [String: Double] = [:]) {
        self.config = config
        self.speeds = speeds
    }

    /// Resolves a model name: a catalog entry, or `provider/model-id` for a configured provider.
    public func resolveModel(_ name: String) throws(PlanError) -> (ProviderConfig, ModelEntry) {
        if let entry = config.model(named: name), let provider = config.provider(named: entry.provider) {
            return (provider, entry)
        }
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 2, !parts[1].isEmpty, let provider = config.provider(named: parts[0]) {
            // Inline: priced by the catalog when it knows the model under this provider's name.
            if let entry = config.models.first(where: { $0.provider == provider.name && $0.id == parts[1] }) { return (provider, entry) }
            var entry = Catalog.entry(provider: provider.name, id: parts[1]) ?? ModelEntry(name: name, provider: provider.name, id: parts[1])
            entry.name = name
            return (provider, entry)
        }
        // A catalog model the config does not define (with its embedded provider when the config has none).
        var based = config
        if based.adoptFromBase(model: name), let entry = based.model(named: name), let provider = based.provider(named: entry.provider) {
            return (provider, entry)
        }
        let names = config.models.map(\.name)
        var message = "unknown model '\(name)'\(Suggest.hint(name, in: names))"
        if parts.count == 2, config.provider(named: parts[0]) == nil {
            message += "; no provider is named '\(parts[0])' in \(config.source)"
        }
        message += "; known models: \(names.joined(separator: ", ")), or write provider/model-id"
        throw PlanError(kind: .usage, message: message)
    }

    /// The route a selection names.
    public func resolveRoute(_ selection: RouteSelection) throws(PlanError) -> RouteConfig? {
        let names = config.routes.map(\.name)
        switch selection {
        case .model:
            return nil
        case .route(let name):
            guard let r = config.route(named: name) else {
                throw PlanError(kind: .usage, message: "unknown route '\(name)'\(Suggest.hint(name, in: names)); routes in \(config.source): \(names.joined(separator: ", "))")
            }
            return r
        case .task(let task):
            guard let name = config.tasks[task] else {
                let tasks = config.tasks.keys.sorted()
                guard !tasks.isEmpty else {
                    throw PlanError(kind: .usage, message: "unknown task '\(task)': \(config.source) defines no tasks; add a 'tasks:' section (such as tasks: {\(task): default}) or pick a route with -r")
                }
                throw PlanError(kind: .usage, message: "unknown task '\(task)'\(Suggest.hint(task, in: tasks)); tasks in \(config.source): \(tasks.joined(separator: ", "))")
            }
            guard let r = config.route(named: name) else {
                throw PlanError(kind: .config, message: "task '\(task)' names route '\(name)', which \(config.source) does not define")
            }
            return r
        case .automatic:
            guard let r = config.route(named: "default") else {
                throw PlanError(kind: .config, message: "\(config.source) has no route named 'default'; add one under 'routes:', or pass -r ROUTE or -m MODEL")
            }
            return r
        }
    }

    /// The plan for `request`.
    public func plan<G: RandomNumberGenerator>(_ request: ChatRequest, selection: RouteSelection, using rng: inout G) throws(PlanError) -> Plan {
        if case .model(let name) = selection {
            let (provider, entry) = try resolveModel(name)
            let c = Candidate(provider: provider, model: entry, tier: .primary, weight: 1,
                              estimatedCost: Self.worstCase(request, entry), reason: "named with -m")
            let d = RouteConfig(name: "", targets: [])
            return Plan(route: nil, strategy: .fallback, retries: d.retries, maxAttempts: d.maxAttempts,
                        maxRetryWait: d.maxRetryWait, candidates: [c])
        }
        guard let route = try resolveRoute(selection) else {
            throw PlanError(kind: .config, message: "no route")
        }
        var primary: [Candidate] = []
        for t in route.targets {
            let (provider, entry) = try resolveModel(t.model)
            primary.append(Candidate(provider: provider, model: entry, tier: .primary, weight: t.weight,
                                     estimatedCost: Self.worstCase(request, entry), reason: ""))
        }
        primary = order(primary, by: route.strategy, explore: route.explore, using: &rng)
        var fallback: [Candidate] = []
        for t in route.fallback {
            let (provider, entry) = try resolveModel(t.model)
            fallback.append(Candidate(provider: provider, model: entry, tier: .fallback, weight: t.weight,
                                      estimatedCost: Self.worstCase(request, entry), reason: "fallback tier, in order"))
        }
        return Plan(route: route.name, strategy: route.strategy, retries: route.retries, maxAttempts: route.maxAttempts,
                    maxRetryWait: route.maxRetryWait, candidates: primary + fallback, hedge: route.hedge)
    }

    /// The tokens a request may use at most: the prompt estimate plus its max tokens (else the expected output).
    public static func tokenEstimate(_ request: ChatRequest) -> Int {
        request.estimatedPromptTokens + (request.maxTokens ?? expectedOutputTokens)
    }

    /// The most a request can cost on a model: the prompt estimate at the input
    /// price plus every allowed output token (`--max-tokens`, else the expected
    /// output) at the output price. Nil when the catalog has no prices.
    public static func worstCase(_ request: ChatRequest, _ entry: ModelEntry) -> Double? {
        entry.cost(of: Usage(inputTokens: request.estimatedPromptTokens, outputTokens: request.maxTokens ?? expectedOutputTokens))
    }

    /// Orders a primary tier by the route's strategy and fills in each candidate's reason.
    public func order<G: RandomNumberGenerator>(_ tier: [Candidate], by strategy: Strategy, explore: Double = 0.05,
                                                using rng: inout G) -> [Candidate] {
        switch strategy {
        case .fastest:
            // Unmeasured candidates first (so they get a figure), then the quickest median.
            var sorted = tier.enumerated().sorted { a, b in
                switch (speeds[a.element.label], speeds[b.element.label]) {
                case let (x?, y?): return x != y ? x < y : a.offset < b.offset
                case (nil, .some): return true
                case (.some, nil): return false
                case (nil, nil): return a.offset < b.offset
                }
            }.map(\.element)
            for i in sorted.indices {
                sorted[i].reason = speeds[sorted[i].label].map { "fastest first (median first token \(Int(saturating: $0.rounded())) ms)" }
                    ?? "fastest first; not measured yet, so tried first"
            }
            // A small share explores: another candidate goes first, its figure kept fresh.
            if sorted.count > 1, Double(rng.next() % 1_000_000) / 1_000_000 < explore {
                let pick = 1 + Int(rng.next() % UInt64(sorted.count - 1))
                var c = sorted.remove(at: pick)
                c.reason = "explored (\(NumberText.plain((explore * 1000).rounded() / 10))% of requests try another candidate first)"
                sorted.insert(c, at: 0)
            }
            return sorted
        case .fallback:
            return tier.map { var c = $0; c.reason = "primary tier, in order"; return c }
        case .weighted:
            return WeightedOrder.shuffle(tier, weight: \.weight, using: &rng).map {
                var c = $0
                c.reason = "weighted pick (weight \(formatWeight(c.weight)))"
                return c
            }
        case .cheapest:
            let sorted = tier.enumerated().sorted { a, b in
                switch (a.element.estimatedCost, b.element.estimatedCost) {
                case let (x?, y?): return x != y ? x < y : a.offset < b.offset
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return a.offset < b.offset
                }
            }.map(\.element)
            return sorted.map {
                var c = $0
                c.reason = c.estimatedCost == nil ? "cheapest first; price unknown, so last" : "cheapest first"
                return c
            }
        }
    }

    private func formatWeight(_ w: Double) -> String {
        w == w.rounded() && abs(w) < 1e15 ? String(Int(saturating: w)) : String(w)
    }
}

/// Orders items by weighted random sampling without replacement: the first is
/// picked with probability weight/total, the next among the rest, and so on.
public enum WeightedOrder {
    public static func shuffle<T, G: RandomNumberGenerator>(_ items: [T], weight: (T) -> Double, using rng: inout G) -> [T] {
        var rest = items
        var out: [T] = []
        out.reserveCapacity(items.count)
        while !rest.isEmpty {
            let total = rest.reduce(0) { $0 + max(0, weight($1)) }
            guard total > 0 else {
                out.append(contentsOf: rest)
                break
            }
            var x = Double.random(in: 0..<total, using: &rng)
            // Rounding can leave x just past the end: the last item with weight takes it.
            var pick = rest.lastIndex { weight($0) > 0 } ?? 0
            for (i, item) in rest.enumerated() {
                let w = max(0, weight(item))
                if w > 0, x < w { pick = i; break }
                x -= w
            }
            out.append(rest.remove(at: pick))
        }
        return out
    }
}

extension Plan {
    /// The plan with the candidate of `provider` named `model` first, when it
    /// is in it: a conversation stays on the candidate that answered its last
    /// turn while that candidate is admitted, whatever the strategy.
    public func keeping(provider: String, model: String) -> Plan {
        guard let i = candidates.firstIndex(where: { $0.provider.name == provider && $0.model.name == model }) else { return self }
        var plan = self
        var c = plan.candidates.remove(at: i)
        c.reason = "answered the last turn: kept while it is admitted (its prompt cache stays warm)"
        plan.candidates.insert(c, at: 0)
        return plan
    }
}
