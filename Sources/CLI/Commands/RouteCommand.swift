import Engine
import RouterCore

/// `llmr route`: the plan for a request, explained, without sending anything.
struct RouteCommand {
    static let spec = CommandSpec(
        name: "route",
        summary: "show the routing plan for a prompt, without sending anything",
        usage: "llmr route [options] [PROMPT...]",
        description: """
        Plans PROMPT (and stdin, as 'llmr ask' reads it) and prints every candidate
        in the order ask would try them: its tier and why it stands there, its
        weight or estimated cost, whether the prompt fits its context window,
        whether its key is there, its breaker and cooldown, and why it would be
        skipped. Nothing is sent, and no key command is run. --seed makes a
        weighted plan reproducible.
        """,
        options: RequestInput.sharedOptions + [
            OptionSpec("json", help: "print one llmr.route/1 JSON object"),
            .help,
        ]
    )

    let terminal: Terminal

    func run(_ args: [String]) async -> Int32 {
        let (parsed, report): (ParsedArguments, Report)
        switch Self.spec.start(args, terminal: terminal) {
        case .done(let code): return code
        case .run(let p, let r): (parsed, report) = (p, r)
        }
        let input: RequestInput
        var routing: Routing
        do {
            input = try RequestInput(parsed, terminal: terminal, promptRequired: false)
            routing = try input.routing(await RoutingContext.load(configPath: parsed.value("config"), environment: terminal.environment))
        } catch {
            return report.fail(error)
        }
        // Presence only: a key command (a password manager, say) is not run to draw a plan.
        routing.router.keys = PresenceKeys(environment: terminal.environment)
        // What the budgets hold now, for the preview (sending reserves against the ledger itself).
        if let ledger = routing.router.ledger, let usage = try? ledger.usage(of: routing.config.budgets, now: SystemClock().wallTime()) {
            routing.router.budgetUsage = Dictionary(usage.map { ($0.budget.name, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let rows = Self.rows(routing, input: input)
        if parsed.has("json") {
            Output.stdout(Self.json(routing, input: input, rows: rows).serialized() + "\n")
        } else {
            Output.stdout(Self.table(routing, input: input, rows: rows, width: terminal.stdoutColumns,
                                     color: terminal.colorOnStdout(parsed.value("color"))))
        }
        return ExitCode.ok.rawValue
    }

    /// One candidate of the plan, with everything the table and JSON show.
    struct Row {
        var candidate: Candidate
        var availability: Availability
        var key: String
        var breaker: String
        var breakerOpenUntil: Double?
        var cooldownUntil: Double?
        var worstCase: Double?
    }

    static func rows(_ routing: Routing, input: RequestInput) -> [Row] {
        let now = SystemClock().wallTime()
        let router = routing.router
        let breaker = router.breaker ?? Breaker(config: routing.config.breaker)
        return routing.plan.candidates.map { c in
            let keys = [c.provider.name, Breaker.modelKey(provider: c.provider.name, modelID: c.model.id)]
            // The later of the provider's and the model's open periods and cooldowns: what holds the candidate back.
            let openUntil = keys.compactMap { HealthLabel.breaker(breaker.view(router.health.breakers[$0], now: now)).openUntil }.max()
            let cooldown = keys.compactMap { router.health.cooldowns[$0] }.filter { $0 > now }.max()
            var availability = router.availability(of: c, request: input.request)
            if availability.isSendable, let full = router.previewSlot(c, request: input.request) { availability = full }
            return Row(candidate: c, availability: availability,
                       key: HealthLabel.key(router.keys.key(for: c.provider)),
                       breaker: HealthLabel.combined(provider: c.provider.name, modelID: c.model.id, breaker, router.health, now: now),
                       breakerOpenUntil: openUntil, cooldownUntil: cooldown, worstCase: Planner.worstCase(input.request, c.model))
        }
    }

    static func usd(_ x: Double?) -> String {
        guard let x else { return "?" }
        return "$" + NumberText.sixDecimals(x)
    }

    /// The plan as a table. On a narrow terminal the breaker and key columns
    /// go first (the status says why a candidate is skipped), then the
    /// placement and the window; into a pipe every row is whole.
    static func table(_ routing: Routing, input: RequestInput, rows: [Row], width: Int? = nil, color: Bool = false) -> String {
        let plan = routing.plan
        var head = plan.route.map { "route \($0) (\(plan.strategy.rawValue))" } ?? "model named with -m"
        if let seed = input.seed { head += ", seed \(seed)" }
        head += "; retries \(plan.retries), at most \(plan.maxAttempts) attempts; prompt about \(input.request.estimatedPromptTokens) tokens"
        if let m = input.maxCost { head += "; --max-cost \(usd(m))" }
        let columns = [
            Table.Column("#"), Table.Column("candidate", elide: 16), Table.Column("tier"),
            Table.Column("placed by", short: "why", drop: 3, elide: 10), Table.Column("est. cost", short: "cost"),
            Table.Column("window", drop: 2), Table.Column("key", drop: 4), Table.Column("breaker", drop: 5),
            Table.Column("status", wraps: true),
        ]
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var cells: [[String]] = []
        for (i, r) in rows.enumerated() {
            let c = r.candidate
            let window = c.model.context.map(String.init) ?? "?"
            let status: String
            switch r.availability {
            case .available: status = paint("ready", "32")
            case .probe: status = paint("ready (sends the half-open probe)", "33")
            default: status = paint("skipped: " + r.availability.reason, "31")
            }
            // The tier has its own column: "primary tier, in order" reads "in order" beside it.
            var why = c.reason
            for prefix in ["\(c.tier.rawValue) tier, ", "\(c.tier.rawValue) tier"] where why.hasPrefix(prefix) {
                why = String(why.dropFirst(prefix.count))
            }
            cells.append(["\(i + 1)", c.name, c.tier.rawValue, why.isEmpty ? "-" : why, usd(c.estimatedCost), window, r.key,
                          r.breaker == "closed" ? r.breaker : paint(r.breaker, "31"), status])
        }
        let lines = [head, "config \(routing.config.source)"].map { line in width.map { TerminalText.elide(line, to: $0) } ?? line }
        return lines.joined(separator: "\n") + "\n" + Table.render(columns, cells, width: width)
    }

    static func json(_ routing: Routing, input: RequestInput, rows: [Row]) -> JSONValue {
        func num(_ x: Double?) -> JSONValue { x.map { .number(($0 * 1e9).rounded() / 1e9) } ?? .null }
        let plan = routing.plan
        return .object([
            ("schema", "llmr.route/1"),
            ("route", plan.route.map { .string($0) } ?? .null),
            ("strategy", .string(plan.strategy.rawValue)),
            ("seed", input.seed.map { .number(Double($0)) } ?? .null),
            ("retries", .number(Double(plan.retries))),
            ("max_attempts", .number(Double(plan.maxAttempts))),
            ("prompt_tokens", .number(Double(input.request.estimatedPromptTokens))),
            ("max_cost_usd", num(input.maxCost)),
            ("candidates", .array(rows.enumerated().map { i, r in
                let c = r.candidate
                return .object([
                    ("position", .number(Double(i + 1))),
                    ("provider", .string(c.provider.name)),
                    ("model", .string(c.model.name)),
                    ("model_id", .string(c.model.id)),
                    ("tier", .string(c.tier.rawValue)),
                    ("placed_by", .string(c.reason)),
                    ("weight", .number(c.weight)),
                    ("estimated_cost_usd", num(c.estimatedCost)),
                    ("worst_case_usd", num(r.worstCase)),
                    ("context", c.model.context.map { .number(Double($0)) } ?? .null),
                    ("key", .string(r.key)),
                    ("breaker", .string(r.breaker)),
                    ("breaker_open_until", num(r.breakerOpenUntil)),
                    ("cooldown_until", num(r.cooldownUntil)),
                    ("available", .bool(r.availability.isSendable)),
                    ("skip_reason", r.availability.isSendable ? .null : .string(r.availability.reason)),
                ])
            })),
        ])
    }
}
