import Engine
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// `llmr providers`: the configured providers and their health, health
/// checks, and the state database's upkeep.
struct ProvidersCommand {
    static let subcommands = ["list", "check", "stats", "reset", "prune"]

    static let spec = CommandSpec(
        name: "providers",
        summary: "list providers and their health; check, stats, reset, prune",
        usage: "llmr providers [list|check|stats|reset|prune] [options] [NAME...]",
        description: """
        list (the default): every configured provider with its API, base URL,
          whether its key is there, its breaker and cooldown, and its median
          latency over its last 100 answers.
        check [NAME...]: probe providers in parallel with their cheapest call (the
          model list), report status and latency, and feed the result into the
          breaker. --watch probes again every health.interval until interrupted.
        stats [--since 24h] [--route R]: per provider and model, requests, p50 and
          p99 latency, p50 time to first token, error rate, cost per request,
          total cost, fallback and hedge rates; a figure past its alerts:
          threshold is marked ! (baselines: the same period just before).
          --json or --csv for scripts; a latency histogram on a terminal.
        reset [NAME...]: close breakers and clear cooldowns (all when no NAME).
        prune --older-than AGE: delete attempt records older than AGE (30d, 12h).
        """,
        options: [
            OptionSpec("watch", help: "check: probe again every health.interval until interrupted"),
            OptionSpec("count", value: "N", help: "check --watch: stop after N rounds"),
            OptionSpec("older-than", value: "AGE", help: "prune: delete attempts older than this (30d, 12h, 90m)"),
            OptionSpec("since", value: "AGE", help: "stats: the period to count (default 24h)"),
            OptionSpec("bench", help: "stats: count llmr bench's requests too"),
            OptionSpec("route", value: "NAME", help: "stats: only this route's attempts"),
            OptionSpec("csv", help: "stats: print CSV"),
            OptionSpec("json", help: "print JSON instead of a table"),
            .config,
            .color,
            .help,
        ]
    )

    let terminal: Terminal

    func run(_ args: [String]) async -> Int32 {
        guard let (sub, rest) = Self.spec.subcommand(args, choices: Self.subcommands, fallback: "list") else { return ExitCode.usage.rawValue }
        let (parsed, report): (ParsedArguments, Report)
        switch Self.spec.start(rest, terminal: terminal) {
        case .done(let code): return code
        case .run(let p, let r): (parsed, report) = (p, r)
        }
        let context: RoutingContext
        do { context = try await RoutingContext.load(configPath: parsed.value("config"), environment: terminal.environment) } catch {
            return report.fail(error)
        }
        let config = context.config
        let names = config.providers.map(\.name)
        for name in parsed.positionals where !names.contains(name) {
            return report.fail(.usage("unknown provider '\(name)'\(Suggest.hint(name, in: names)); providers in \(config.source): \(names.joined(separator: ", "))"))
        }
        if sub != "check", parsed.has("watch") || parsed.value("count") != nil {
            return report.fail(.usage("--watch and --count go with 'providers check'"))
        }
        let count: Int?
        do { count = try parsed.int("count", 1...1_000_000_000) } catch { return report.fail(.usage(error.message)) }
        if sub != "prune", parsed.value("older-than") != nil {
            return report.fail(.usage("--older-than goes with 'providers prune'"))
        }
        if sub != "stats", parsed.value("since") != nil || parsed.value("route") != nil || parsed.has("csv") || parsed.has("bench") {
            return report.fail(.usage("--since, --route, --csv and --bench go with 'providers stats'"))
        }
        if sub == "list" || sub == "stats", !parsed.positionals.isEmpty {
            return report.fail(.usage("'providers list' takes no names; 'providers check NAME' probes one"))
        }
        let selected = parsed.positionals.isEmpty ? config.providers : config.providers.filter { parsed.positionals.contains($0.name) }

        let log: (any StateBackend)?
        /// Why there is no log to read, said for a person.
        let noLog: String
        switch context.state {
        case .success(let l)?:
            log = l
            noLog = ""
        case .failure(let e)?:
            noLog = Self.unreadable(e)
            if sub == "reset" || sub == "prune" || sub == "stats" { return report.fail(Problem(.state, noLog)) }
            report.note("warning: \(noLog); showing configuration only")
            log = nil
        case nil:
            noLog = "no state database (set HOME or LLMR_STATE_DIR)"
            log = nil
        }

        switch sub {
        case "reset":
            guard let log else { return report.fail(Problem(.state, noLog)) }
            do { try log.reset(providers: parsed.positionals) } catch {
                return report.fail(Problem(.state, "cannot reset: \(error)"))
            }
            let which = parsed.positionals.isEmpty ? "every provider" : parsed.positionals.joined(separator: ", ")
            Output.stdout(parsed.has("json") ? JSONValue.object([("schema", "llmr.providers.reset/1"), ("reset", .array(selected.map { .string($0.name) }))]).serialized() + "\n"
                          : "closed the breakers and cleared the cooldowns of \(which)\n")
            return ExitCode.ok.rawValue
        case "prune":
            guard let text = parsed.value("older-than") else {
                return report.fail(.usage("'providers prune' needs --older-than AGE, such as 30d or 12h"))
            }
            let age: Double
            do { age = try parsed.age("older-than") ?? 0 } catch { return report.fail(.usage(error.message)) }
            guard let log else { return report.fail(Problem(.state, noLog)) }
            let deleted: Int
            do { deleted = try log.prune(before: SystemClock().wallTime() - age) } catch {
                return report.fail(Problem(.state, "cannot prune: \(error)"))
            }
            Output.stdout(parsed.has("json") ? JSONValue.object([("schema", "llmr.providers.prune/1"), ("deleted", .number(Double(deleted)))]).serialized() + "\n"
                          : "deleted \(deleted) attempt record\(deleted == 1 ? "" : "s") older than \(text)\n")
            return ExitCode.ok.rawValue
        case "stats":
            let since: Double
            do { since = try parsed.age("since") ?? 86_400 } catch { return report.fail(.usage(error.message)) }
            // As typed, with its unit even when it was typed without one (`--since 90` is 90s).
            let typed = (parsed.value("since") ?? "24h").trimmingWhitespace()
            let sinceText = typed.last?.isLetter == true ? typed : DurationParser.exact(since)
            if let r = parsed.value("route"), config.route(named: r) == nil {
                let routes = config.routes.map(\.name)
                return report.fail(.usage("unknown route '\(r)'\(Suggest.hint(r, in: routes)); routes in \(config.source): \(routes.joined(separator: ", "))"))
            }
            guard let log else { return report.fail(Problem(.state, noLog)) }
            let stats = ProviderStats(config: config, log: log, color: terminal.colorOnStderr(parsed.value("color")) && terminal.stdoutIsTTY,
                                      terminal: terminal.stdoutIsTTY, width: terminal.stdoutColumns)
            let lines: [ProviderStats.Line]
            do { lines = try stats.lines(since: since, route: parsed.value("route"), bench: parsed.has("bench"), now: SystemClock().wallTime()) } catch {
                return report.fail(Problem(.state, "cannot read the attempt log: \(error)"))
            }
            if parsed.has("json") {
                Output.stdout(stats.json(lines, since: since, route: parsed.value("route")).serialized() + "\n")
            } else if parsed.has("csv") {
                Output.stdout(stats.csv(lines))
            } else {
                Output.stdout(stats.table(lines, since: sinceText))
            }
            return ExitCode.ok.rawValue
        case "check":
            return await ProviderCheck(terminal: terminal, context: context, json: parsed.has("json"),
                                       color: terminal.colorOnStdout(parsed.value("color")))
                .run(selected, watch: parsed.has("watch"), count: count, report: report)
        default:
            Output.stdout(Self.list(config, log: log, json: parsed.has("json"), environment: terminal.environment,
                                    width: terminal.stdoutColumns, color: terminal.colorOnStdout(parsed.value("color")),
                                    sharedState: context.sharedStateSummary))
            return ExitCode.ok.rawValue
        }
    }

    /// What a window holds now (nothing counted when the log cannot be read).
    static func use(_ w: RateWindow, log: (any StateBackend)?, now: Double) -> WindowUse {
        (try? log?.use(of: [w], now: now))??.first ?? WindowUse(window: w, requests: 0, tokens: 0)
    }

    static func json(_ u: WindowUse) -> JSONValue {
        .object([("requests", u.window.limit.requests.map { .number(Double($0)) } ?? .null),
                 ("tokens", u.window.limit.tokens.map { .number(Double($0)) } ?? .null),
                 ("per_s", .number(u.window.limit.per)), ("used_requests", .number(Double(u.requests))),
                 ("used_tokens", .number(Double(u.tokens)))])
    }

    /// A rate window's use: `2/500 req, 1200/200000 tok per 1m`.
    static func window(_ u: WindowUse?) -> String {
        guard let u else { return "-" }
        var parts: [String] = []
        if let r = u.window.limit.requests { parts.append("\(u.requests)/\(r) req") }
        if let t = u.window.limit.tokens { parts.append("\(u.tokens)/\(t) tok") }
        return parts.joined(separator: ", ") + " per " + DurationParser.exact(u.window.limit.per)
    }

    /// The state store, or the problem to report: unreadable (with how to start
    /// afresh) or missing, in which case `what` is what cannot be kept.
    static func store(_ context: RoutingContext, for what: String) -> Result<any StateBackend, Problem> {
        switch context.state {
        case .success(let s)?: return .success(s)
        case .failure(let e)?: return .failure(Problem(.state, unreadable(e)))
        case nil: return .failure(Problem(.state, "no state database (set HOME or LLMR_STATE_DIR), so \(what)"))
        }
    }

    /// The state database could not be opened: where it is, why, and how to start afresh.
    static func unreadable(_ e: StateFailure) -> String {
        "the state database \(e.path) is unreadable (\(e.reason)); move it aside (mv '\(e.path)' '\(e.path).bad') and llmr starts a new one"
    }

    static func list(_ config: Config, log: (any StateBackend)?, json: Bool, environment: [String: String],
                     width: Int? = nil, color: Bool = false, sharedState: String? = nil) -> String {
        let now = SystemClock().wallTime()
        let names = config.providers.map(\.name)
        let health = (try? log?.snapshot(providers: names, now: now)) ?? HealthSnapshot()
        let p50 = (try? log?.latencyP50(providers: names)) ?? [:]
        let breaker = Breaker(config: config.breaker)
        let keys = PresenceKeys(environment: environment)
        struct Row {
            var p: ProviderConfig
            var key: String
            var breaker: String
            var openUntil: Double?
            var cooldown: Double?
            /// Its models held back by a breaker or cooldown of their own: name, id, state.
            var models: [(String, String, String)]
            /// Its rate window's use now, when it has `limits:`.
            var window: WindowUse?
            /// Its models' own rate windows (`limits:` on a model), by model name.
            var modelWindows: [(String, WindowUse)] = []
        }
        let rows: [Row] = config.providers.map { p in
            var key = HealthLabel.key(keys.key(for: p))
            if key == "missing" { key += " (\(p.keyEnv ?? "key"))" }
            let (state, until) = HealthLabel.breaker(breaker.view(health.breakers[p.name], now: now))
            return Row(p: p, key: key, breaker: state, openUntil: until, cooldown: health.cooldowns[p.name],
                       models: HealthLabel.heldModels(of: p.name, breaker, health, now: now).map { id, state in
                           // The catalog's name for the model, as the user wrote it; its id when the catalog has none.
                           (config.models.first { $0.provider == p.name && $0.id == id }?.name ?? id, id, state)
                       },
                       window: p.limits.map { Self.use(RateWindow(key: p.name, limit: $0), log: log, now: now) },
                       modelWindows: config.models.filter { $0.provider == p.name }.compactMap { m in
                           m.limits.map { (m.name, Self.use(RateWindow(key: Breaker.modelKey(provider: p.name, modelID: m.id), limit: $0), log: log, now: now)) }
                       })
        }
        if json {
            let state: [(String, JSONValue)] = sharedState.map { [("state", JSONValue.string($0))] } ?? []
            let list: JSONValue = .array(rows.map { r in
                .object([("name", .string(r.p.name)), ("api", .string(r.p.api.rawValue)), ("base_url", .string(r.p.baseURL)),
                         ("key", .string(r.key)), ("breaker", .string(r.breaker)),
                         ("breaker_open_until", r.openUntil.map { .number($0) } ?? .null),
                         ("cooldown_until", r.cooldown.map { .number($0) } ?? .null),
                         ("models_held", .array(r.models.map {
                             .object([("model", .string($0.0)), ("model_id", .string($0.1)), ("state", .string($0.2))])
                         })),
                         ("p50_latency_ms", p50[r.p.name].map { .number(Double($0)) } ?? .null),
                         ("limits", r.window.map { u in
                             Self.json(u)
                         } ?? .null),
                         ("model_limits", .array(r.modelWindows.map { name, u in
                             guard case .object(let members) = Self.json(u) else { return .null }
                             return .object([("model", .string(name))] + members)
                         }))])
            })
            return JSONValue.object([("schema", "llmr.providers/1"), ("providers", list)] + state).serialized() + "\n"
        }
        // On a narrow terminal the base URL and the cooldown give way first; models held back wrap last.
        let columns = [
            Table.Column("provider", elide: 12), Table.Column("api"), Table.Column("base url", drop: 4, elide: 20),
            Table.Column("key", drop: 1), Table.Column("breaker"), Table.Column("cooldown", drop: 3),
            Table.Column("p50", drop: 2), Table.Column("window", drop: 5), Table.Column("models held back", short: "held back", wraps: true),
        ]
        func paint(_ text: String, _ bad: Bool) -> String { color && bad ? "\u{1B}[31m\(text)\u{1B}[0m" : text }
        var cells: [[String]] = []
        for r in rows {
            let breaker = r.openUntil.map { "\(r.breaker) \(DurationParser.format($0 - now))" } ?? r.breaker
            let cooldown = r.cooldown.flatMap { $0 > now ? DurationParser.format($0 - now) : nil }
            cells.append([r.p.name, r.p.api.rawValue, r.p.baseURL, paint(r.key, r.key.hasPrefix("missing")), paint(breaker, r.breaker != "closed"),
                          cooldown.map { paint($0, true) } ?? "-", p50[r.p.name].map { "\($0) ms" } ?? "-",
                          ([r.window.map { Self.window($0) }].compactMap { $0 } + r.modelWindows.map { "\($0.0): \(Self.window($0.1))" })
                              .joined(separator: "; ").nonEmpty ?? "-",
                          r.models.isEmpty ? "-" : paint(r.models.map { "\($0.0) \($0.2)" }.joined(separator: "; "), true)])
        }
        return Table.render(columns, cells, width: width) + (sharedState.map { "state: \($0)\n" } ?? "")
    }
}

extension String {
    /// Nil for the empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
