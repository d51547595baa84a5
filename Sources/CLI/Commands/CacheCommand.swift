import Engine
import RouterCore

/// `llmr cache`: what the response cache holds, and its upkeep.
struct CacheCommand {
    static let subcommands = ["stats", "list", "clear", "prune", "export", "import"]

    static let spec = CommandSpec(
        name: "cache",
        summary: "the response cache: stats, list, clear, prune, export, import",
        usage: "llmr cache stats|list|clear|prune|export FILE|import FILE [options]",
        description: """
        stats: entries, their size, how many are past the TTL, the oldest and newest.
        list: the newest entries (--count N, default 20): when kept, by which
          provider and model, and the request's last message.
        clear: remove every entry.
        prune --older-than AGE: remove entries kept longer ago than AGE (7d, 12h).
        export FILE: every entry as one JSON object a line (request, answer,
          usage, provider, model, when kept), sorted: commit it beside a suite.
        import FILE: merge such a file (a newer entry already kept stays).
        The cache keeps whole answers of requests made with cache.mode, --cache
        or LLMR_CACHE set to read-write or write-only, in the state database.
        Every subcommand takes --json (llmr.cache/1).
        """,
        options: [
            OptionSpec("older-than", value: "AGE", help: "prune: remove entries kept longer ago than this"),
            OptionSpec("count", value: "N", help: "list: how many entries (default 20)"),
            OptionSpec("json", help: "print one llmr.cache/1 JSON object"),
            .config, .color, .help,
        ]
    )

    let terminal: Terminal

    func run(_ args: [String]) async -> Int32 {
        guard let (sub, rest) = Self.spec.subcommand(args, choices: Self.subcommands, fallback: "stats") else { return ExitCode.usage.rawValue }
        let (parsed, report): (ParsedArguments, Report)
        switch Self.spec.start(rest, terminal: terminal) {
        case .done(let code): return code
        case .run(let p, let r): (parsed, report) = (p, r)
        }
        let file: String?
        if sub == "export" || sub == "import" {
            guard parsed.positionals.count == 1 else { return report.fail(.usage("'llmr cache \(sub)' takes one FILE")) }
            file = parsed.positionals[0]
        } else {
            if let word = parsed.positionals.first { return report.fail(.usage("'llmr cache \(sub)' takes no arguments, not '\(word)'")) }
            file = nil
        }
        if sub != "prune", parsed.value("older-than") != nil { return report.fail(.usage("--older-than goes with 'llmr cache prune'")) }
        if sub != "list", parsed.value("count") != nil { return report.fail(.usage("--count goes with 'llmr cache list'")) }
        let count: Int
        let olderThan: Double?
        do {
            count = try parsed.int("count", 1...1_000_000) ?? 20
            olderThan = try parsed.age("older-than")
        } catch {
            return report.fail(.usage(error.message))
        }
        if sub == "prune", olderThan == nil { return report.fail(.usage("'llmr cache prune' needs --older-than AGE (such as 7d)")) }
        let context: RoutingContext
        do { context = try await RoutingContext.load(configPath: parsed.value("config"), environment: terminal.environment) } catch {
            return report.fail(error)
        }
        let store: any StateBackend
        switch ProvidersCommand.store(context, for: "no cache") {
        case .success(let s): store = s
        case .failure(let problem): return report.fail(problem)
        }
        let now = SystemClock().wallTime()
        let json = parsed.has("json")
        do {
            switch sub {
            case "export", "import":
                guard let file else { break }
                let (done, kept): (Int, Int)
                do {
                    if sub == "export" { (done, kept) = (try CacheTransfer.export(store, to: file), 0) }
                    else { (done, kept) = try CacheTransfer.import(store, from: file) }
                } catch {
                    return report.fail(error)
                }
                if json {
                    Output.stdout(JSONValue.object([("schema", "llmr.cache/1"), (sub == "export" ? "exported" : "imported", .number(Double(done))),
                                                    ("kept_newer", .number(Double(kept)))]).serialized() + "\n")
                } else {
                    Output.stdout(sub == "export" ? "exported \(done) entries to \(file)\n"
                        : "imported \(done) entries from \(file)" + (kept > 0 ? "; \(kept) newer ones already kept stayed" : "") + "\n")
                }
            case "list":
                let entries = try store.cacheEntries(limit: count)
                if json {
                    Output.stdout(JSONValue.object([("schema", "llmr.cache/1"), ("entries", .array(entries.map { e in
                        .object([("stored_at", .string(Timestamp.iso(e.answer.storedAt))), ("provider", .string(e.answer.provider)),
                                 ("model", .string(e.answer.model)), ("request", .string(e.key.summary)), ("bytes", .number(Double(e.answer.text.utf8.count)))])
                    }))]).serialized() + "\n")
                } else if entries.isEmpty {
                    Output.stdout("the response cache is empty\n")
                } else {
                    let columns = [Table.Column("kept"), Table.Column("model", elide: 16), Table.Column("bytes", drop: 1),
                                   Table.Column("request", wraps: true)]
                    Output.stdout(Table.render(columns, entries.map { e in
                        [Timestamp.iso(e.answer.storedAt), e.answer.model, "\(e.answer.text.utf8.count)", TerminalText.printable(e.key.summary)]
                    }, width: terminal.stdoutColumns))
                }
            case "clear", "prune":
                let removed = try store.dropCache(before: olderThan.map { now - $0 })
                if json {
                    Output.stdout(JSONValue.object([("schema", "llmr.cache/1"), ("removed", .number(Double(removed)))]).serialized() + "\n")
                } else {
                    Output.stdout("removed \(removed) entr\(removed == 1 ? "y" : "ies")\n")
                }
            default:
                let s = try store.cacheStats(now: now, ttl: context.config.cache.ttl)
                if json {
                    Output.stdout(JSONValue.object([
                        ("schema", "llmr.cache/1"), ("mode", .string(context.config.cache.mode.rawValue)), ("ttl_s", .number(context.config.cache.ttl)),
                        ("entries", .number(Double(s.entries))), ("bytes", .number(Double(s.bytes))), ("expired", .number(Double(s.expired))),
                        ("oldest", s.oldest.map { .string(Timestamp.iso($0)) } ?? .null), ("newest", s.newest.map { .string(Timestamp.iso($0)) } ?? .null),
                    ]).serialized() + "\n")
                } else {
                    var text = "\(s.entries) entr\(s.entries == 1 ? "y" : "ies"), \(s.bytes) bytes; \(s.expired) past the TTL of \(DurationParser.exact(context.config.cache.ttl))"
                    if let o = s.oldest, let n = s.newest { text += "; kept from \(Timestamp.iso(o)) to \(Timestamp.iso(n))" }
                    Output.stdout(text + "; cache.mode is \(context.config.cache.mode.rawValue)\n")
                }
            }
        } catch {
            return report.fail(Problem(.state, "the response cache cannot be read: \(error.reason)"))
        }
        return ExitCode.ok.rawValue
    }
}
