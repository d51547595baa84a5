import Engine
import RouterCore

/// `llmr models`: every model llmr knows — the config's and the embedded
/// catalog's — with prices, context window and max output.
struct ModelsCommand {
    static let spec = CommandSpec(
        name: "models",
        summary: "list known models with prices and context windows",
        usage: "llmr models [PATTERN] [options]\n       llmr models update [--from URL|FILE]",
        description: """
        Every model of the config (marked config) and of the embedded price
        catalog (catalog), with its provider, the id the provider knows it by,
        input, output and cached-input prices in USD per million tokens, its
        context window and its max output. A config entry overrides the catalog's
        of the same name; a route or -m may name any catalog model whose
        provider the config or the embedded defaults define. PATTERN keeps the
        names (or provider/id) that contain it, or match it when it has a *.
        --json prints llmr.models/1.
        update refreshes the prices from LiteLLM's published price JSON (or
        --from a URL or file in that format or OpenRouter's /api/v1/models
        format) into the state directory, where they override the embedded
        catalog by name.
        """,
        options: [
            OptionSpec("json", help: "print one llmr.models/1 JSON object"),
            OptionSpec("from", value: "URL|FILE", help: "update: the price list to read (default: LiteLLM's)"),
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
        if parsed.positionals.first == "update" {
            guard parsed.positionals.count == 1 else { return report.fail(.usage("'llmr models update' takes no other words; --from names the source")) }
            let from = parsed.value("from") ?? CatalogRefresh.defaultSource
            do {
                let (count, path) = try await CatalogRefresh.run(from: from, environment: terminal.environment,
                                                                 day: String(Timestamp.iso(SystemClock().wallTime()).prefix(10)))
                if parsed.has("json") {
                    Output.stdout(JSONValue.object([("schema", "llmr.models.update/1"), ("source", .string(from)),
                                                    ("models", .number(Double(count))), ("path", .string(path))]).serialized() + "\n")
                } else {
                    Output.stdout("\(count) models with prices from \(from), saved in \(path); they override the embedded catalog by name\n")
                }
                return ExitCode.ok.rawValue
            } catch {
                return report.fail(error)
            }
        }
        if parsed.value("from") != nil { return report.fail(.usage("--from goes with 'llmr models update'")) }
        guard parsed.positionals.count <= 1 else {
            return report.fail(.usage("'llmr models' takes at most one PATTERN, not \(parsed.positionals.count) words"))
        }
        let config: Config
        do { config = try ConfigLocator.load(explicit: parsed.value("config"), environment: terminal.environment) } catch {
            return report.fail(Problem(.config, "config error: \(error)"))
        }
        let rows = Self.rows(config, pattern: parsed.positionals.first)
        if parsed.has("json") {
            Output.stdout(Self.json(rows).serialized() + "\n")
        } else if rows.isEmpty {
            Output.stdout("no model matches '\(TerminalText.printable(parsed.positionals.first ?? ""))'\n")
        } else {
            Output.stdout(Self.table(rows, width: terminal.stdoutColumns))
        }
        return ExitCode.ok.rawValue
    }

    struct Row {
        var model: ModelEntry
        var fromConfig: Bool
    }

    /// The config's models, then the catalog's that the config does not override, filtered by `pattern`.
    static func rows(_ config: Config, pattern: String?) -> [Row] {
        let embedded = config.source == DefaultConfig.source
        // The embedded defaults' own entries give way to the catalog's fuller ones of the same name.
        let own = config.models.filter { !embedded || Catalog.entry(named: $0.name) == nil }
        let defined = Set(own.map(\.name))
        let all = own.map { Row(model: $0, fromConfig: !embedded) }
            + Catalog.all.filter { !defined.contains($0.name) }.map { Row(model: $0, fromConfig: false) }
        guard let pattern, !pattern.isEmpty else { return all }
        return all.filter { r in
            [r.model.name, "\(r.model.provider)/\(r.model.id)"].contains { Self.matches($0, pattern) }
        }
    }

    /// Case-insensitive: contains `pattern`, or matches it as a glob when it has a `*`.
    static func matches(_ text: String, _ pattern: String) -> Bool {
        let t = Array(text.lowercased()), p = Array(pattern.lowercased())
        guard p.contains("*") else { return text.lowercased().contains(pattern.lowercased()) }
        // Iterative glob with backtracking to the last star.
        var i = 0, j = 0, star = -1, mark = 0
        while i < t.count {
            if j < p.count, p[j] == "*" { star = j; mark = i; j += 1 }
            else if j < p.count, p[j] == t[i] { i += 1; j += 1 }
            else if star >= 0 { j = star + 1; mark += 1; i = mark }
            else { return false }
        }
        while j < p.count, p[j] == "*" { j += 1 }
        return j == p.count
    }

    static func price(_ x: Double?) -> String { x.map { "$" + NumberText.decimal($0, significant: 6) } ?? "-" }

    static func table(_ rows: [Row], width: Int?) -> String {
        let columns = [
            Table.Column("model", elide: 24), Table.Column("provider"), Table.Column("id", drop: 3, elide: 16),
            Table.Column("input/M", short: "in/M"), Table.Column("output/M", short: "out/M"), Table.Column("cached/M", drop: 2),
            Table.Column("context", short: "ctx"), Table.Column("max out", drop: 1), Table.Column("from"),
        ]
        let cells = rows.map { r in
            [r.model.name, r.model.provider, r.model.id, price(r.model.inputPrice), price(r.model.outputPrice), price(r.model.cachedInputPrice),
             r.model.context.map(String.init) ?? "-", r.model.maxOutput.map(String.init) ?? "-", r.fromConfig ? "config" : "catalog"]
        }
        let foot = "prices in USD per million tokens; catalog: \(Catalog.source)"
        return Table.render(columns, cells, width: width) + (width.map { Table.wrap(foot, to: $0) } ?? [foot]).joined(separator: "\n") + "\n"
    }

    static func json(_ rows: [Row]) -> JSONValue {
        func num(_ x: Double?) -> JSONValue { x.map { .number($0) } ?? .null }
        func int(_ x: Int?) -> JSONValue { x.map { .number(Double($0)) } ?? .null }
        return .object([
            ("schema", "llmr.models/1"), ("catalog_source", .string(Catalog.source)),
            ("models", .array(rows.map { r in
                .object([("name", .string(r.model.name)), ("provider", .string(r.model.provider)), ("id", .string(r.model.id)),
                         ("input_per_million_usd", num(r.model.inputPrice)), ("output_per_million_usd", num(r.model.outputPrice)),
                         ("cached_input_per_million_usd", num(r.model.cachedInputPrice)), ("context", int(r.model.context)),
                         ("max_output", int(r.model.maxOutput)), ("source", .string(r.fromConfig ? "config" : "catalog"))])
            })),
        ])
    }
}
