import Engine
import RouterCore

/// `llmr budget`: each configured budget's spend, reservations and room, as
/// every llmr process on this state sees them.
struct BudgetCommand {
    static let spec = CommandSpec(
        name: "budget",
        summary: "show each budget: what was spent, what is reserved, what is left",
        usage: "llmr budget [options]",
        description: """
        Every budget of the config (budgets:) with its scope (everything, or one
        provider, model, route or tag), its rolling window, what was spent in it,
        what attempts in flight have reserved, what is left, and when the oldest
        spend leaves the window. Budgets are shared by every llmr process on the
        same state: an attempt reserves its worst case before it is sent, and
        its real cost replaces the reservation after. --json prints llmr.budget/1.
        """,
        options: [
            OptionSpec("json", help: "print one llmr.budget/1 JSON object"),
            .config,
            .color,
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
        if let word = parsed.positionals.first { return report.fail(.usage("'llmr budget' takes no arguments, not '\(word)'")) }
        let context: RoutingContext
        do { context = try await RoutingContext.load(configPath: parsed.value("config"), environment: terminal.environment) } catch {
            return report.fail(error)
        }
        let budgets = context.config.budgets
        let now = SystemClock().wallTime()
        var usage: [BudgetUsage] = []
        if !budgets.isEmpty {
            let store: any StateBackend
            switch ProvidersCommand.store(context, for: "no budget can be kept") {
            case .success(let s): store = s
            case .failure(let problem): return report.fail(problem)
            }
            do { usage = try store.usage(of: budgets, now: now) } catch {
                return report.fail(Problem(.state, "cannot read the budgets' ledger: \(error.reason); budgeted candidates are not sent until it can be read"))
            }
        }
        if parsed.has("json") {
            Output.stdout(Self.json(usage, now: now).serialized() + "\n")
        } else if usage.isEmpty {
            Output.stdout("no budgets in \(context.config.source); add a budgets: section (see 'man llmr', BUDGETS)\n")
        } else {
            Output.stdout(Self.table(usage, now: now, width: terminal.stdoutColumns, color: terminal.colorOnStdout(parsed.value("color"))))
        }
        return ExitCode.ok.rawValue
    }

    static func table(_ usage: [BudgetUsage], now: Double, width: Int?, color: Bool) -> String {
        let columns = [
            Table.Column("budget", elide: 12), Table.Column("scope", elide: 14), Table.Column("window"), Table.Column("limit"),
            Table.Column("spent"), Table.Column("reserved", drop: 1), Table.Column("left"), Table.Column("next frees", drop: 2, wraps: true),
        ]
        let rows = usage.map { u -> [String] in
            let left = BudgetText.usd(u.left)
            let empty = u.left <= u.budget.usd * 1e-9
            return [u.budget.name, u.budget.scope.text, DurationParser.exact(u.budget.per), BudgetText.usd(u.budget.usd),
                    BudgetText.usd(u.spent), BudgetText.usd(u.reserved), color && empty ? "\u{1B}[31m\(left)\u{1B}[0m" : left,
                    u.nextRelease.map { "in " + BudgetText.span($0 - now) } ?? "-"]
        }
        return Table.render(columns, rows, width: width)
    }

    static func json(_ usage: [BudgetUsage], now: Double) -> JSONValue {
        func money(_ x: Double) -> JSONValue { .number((x * 1e9).rounded() / 1e9) }
        return .object([
            ("schema", "llmr.budget/1"),
            ("budgets", .array(usage.map { u in
                let (kind, value): (String, String?)
                switch u.budget.scope {
                case .all: (kind, value) = ("all", nil)
                case .provider(let p): (kind, value) = ("provider", p)
                case .model(let m): (kind, value) = ("model", m)
                case .route(let r): (kind, value) = ("route", r)
                case .tag(let t): (kind, value) = ("tag", t)
                }
                return .object([
                    ("name", .string(u.budget.name)),
                    ("scope", .object([("kind", .string(kind)), ("value", value.map { .string($0) } ?? .null)])),
                    ("window_s", .number(u.budget.per)), ("limit_usd", money(u.budget.usd)), ("spent_usd", money(u.spent)),
                    ("reserved_usd", money(u.reserved)), ("left_usd", money(u.left)),
                    ("next_release", u.nextRelease.map { .string(Timestamp.iso($0)) } ?? .null),
                ])
            })),
        ])
    }
}
