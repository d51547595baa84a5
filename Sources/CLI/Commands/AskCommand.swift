import Engine
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// `llmr ask`: one request through the router, the answer on stdout.
struct AskCommand {
    static let spec = CommandSpec(
        name: "ask",
        summary: "send one prompt through the router and print the answer",
        usage: "llmr ask [options] [PROMPT...]",
        description: """
        Sends PROMPT through a route and prints the answer on stdout. When stdin is
        not a terminal it is read to the end and sent after the prompt and a blank
        line; '-' as the prompt sends stdin alone; --no-stdin never reads it.
        On a terminal the answer streams as it arrives; into a pipe or file it is
        written once complete, so a failover never shows (--stream forces live output).
        Diagnostics go to stderr. Exit codes: 0 answer, 64 usage, 65 bad input,
        69 every candidate failed, 71 too few file descriptors, 74 stdout could not
        be written, 75 rate-limited or over --max-cost, 77 credentials, 78 config,
        130 interrupted (Ctrl-C; 143 for SIGTERM, 141 when the reader of stdout went away).
        """,
        options: RequestInput.sharedOptions + [
            OptionSpec("continue", short: "c", help: "continue the most recent chat session, and save this turn in it"),
            OptionSpec("session", value: "NAME", help: "continue (or start) the chat session NAME, and save this turn in it"),
            OptionSpec("stream", help: "write the answer live even when stdout is not a terminal"),
            OptionSpec("json", help: "print one llmr.ask/1 JSON object instead of the answer"),
            OptionSpec("verbose", short: "v", help: "print the plan and one line per attempt on stderr"),
            .help,
        ] + [RequestInput.schemaOption] + RequestInput.cacheOptions
    )

    let terminal: Terminal

    func run(_ args: [String]) async -> Int32 {
        let (parsed, report): (ParsedArguments, Report)
        switch Self.spec.start(args, terminal: terminal) {
        case .done(let code): return code
        case .run(let p, let r): (parsed, report) = (p, r)
        }
        let json = parsed.has("json")
        let input: RequestInput
        let context: RoutingContext
        let (plan, rng): (Plan, RequestRandom)
        do {
            input = try RequestInput(parsed, terminal: terminal, promptRequired: true)
            if parsed.has("continue") || parsed.value("session") != nil { return try await inSession(parsed, input: input, report: report) }
            context = input.tagged(try await RoutingContext.load(configPath: parsed.value("config"), environment: terminal.environment))
            (plan, rng) = try input.plan(context)
        } catch {
            if error.kind == .noPrompt {
                Output.stderr("usage: \(Self.spec.usage)\nGive a prompt, or pipe text on stdin. 'llmr ask --help' says more.\n")
                return json ? report.fail(.usage("no prompt")) : ExitCode.usage.rawValue
            }
            return report.fail(error)
        }
        let (request, config) = (input.request, context.config)
        let cacheMode: CacheMode
        do {
            cacheMode = try Caching.mode(flag: parsed.value("cache"), noCache: parsed.has("no-cache"), environment: terminal.environment,
                                         config: config.cache)
        } catch {
            return report.fail(error)
        }
        // Made only when the cache is on: it serializes the whole prompt.
        let cacheKey = cacheMode == .off ? nil : Caching.key(plan, request: request, seed: input.seed)
        if cacheMode.reads, let cacheKey {
            let (hit, warning) = context.cached(cacheKey)
            if let warning { report.note("warning: \(warning)") }
            if let hit {
                if parsed.has("verbose") { report.note(Caching.hitNote(hit, now: SystemClock().wallTime())) }
                var result = RouteResult(route: plan.route, cached: hit)
                if let schema = request.schema, case .success(let (value, _)) = schema.check(hit.text) { result.output = value }
                let code = report.finish(result, live: false, lastChar: nil)
                // After the answer is out, as for any request.
                if let e = context.recordHit(hit, route: plan.route) {
                    report.note("warning: this cache hit was not recorded in the state database (\(e)); the answer is unaffected")
                }
                return code
            }
            if cacheMode == .readOnly {
                return report.fail(Problem(.cacheMiss, "the response cache (read-only) has no answer for this request "
                    + "('\(cacheKey.summary)' through \(plan.route.map { "route \($0)" } ?? "-m \(plan.candidates.first?.model.name ?? "?")")); nothing was sent"))
            }
        }
        var routing = Routing(context: context, plan: plan, maxCost: input.maxCost, rng: rng)
        if parsed.has("verbose") { report.plan(plan, config: config) }

        // Execute.
        // JSON for a schema is written once it validates, never streamed.
        let live = !json && request.schema == nil && (terminal.stdoutIsTTY || parsed.has("stream"))
        let waiting = request.schema != nil && terminal.stderrIsTTY && !parsed.has("verbose")
        if waiting { Output.stderr("llmr: waiting for JSON that validates against the schema…") }
        let writer = AnswerWriter(report: report, terminal: terminal, live: live, verbose: parsed.has("verbose"),
                                  sayFailovers: waiting, clearsStatus: waiting)
        let result = await routing.execute(request, live: live) { writer.observe($0) }
        writer.done()
        if waiting { writer.clearStatus() }
        let code = report.finish(result, live: live, lastChar: writer.lastChar)
        // After the answer is out: a slow or full disk never delays or loses it.
        if let e = routing.context.record(result, request: request) {
            report.note("warning: this request was not recorded in the state database (\(e)); the answer is unaffected")
        }
        if cacheMode.writes, let cacheKey, let warning = routing.context.keep(result, key: cacheKey) { report.note("warning: \(warning)") }
        return code
    }

    /// `ask -c` and `ask --session NAME`: one turn of a chat session, sent with
    /// the earlier turns and saved into the session.
    func inSession(_ parsed: ParsedArguments, input: RequestInput, report: Report) async throws(Problem) -> Int32 {
        if parsed.has("continue"), parsed.value("session") != nil { throw .usage("use either -c or --session") }
        let context = try await RoutingContext.load(configPath: parsed.value("config"), environment: terminal.environment)
        guard context.store != nil else {
            throw Problem(.state, "a session needs the state database (set HOME or LLMR_STATE_DIR)")
        }
        let session = ChatView(session: input.chatSession(context), terminal: terminal, report: report, verbose: parsed.has("verbose"))
        session.session.cacheMode = try Caching.mode(flag: parsed.value("cache"), noCache: parsed.has("no-cache"),
                                                     environment: terminal.environment, config: context.config.cache)
        // A system prompt given now replaces the session's; otherwise the session keeps its own.
        try ChatCommand.open(parsed, session, system: input.request.systemPrompt, showing: false)
        let prompt = input.request.messages.last(where: { $0.role == .user })?.content ?? ""
        let live = !report.json && input.request.schema == nil && (terminal.stdoutIsTTY || parsed.has("stream"))
        let turn = await session.send(prompt, live: live)
        if report.json {
            guard case .object(var members) = session.json(turn) else { return turn.exitCode }
            members[0] = ("schema", "llmr.ask/1")
            Output.stdout(JSONValue.object(members).serialized() + "\n")
        }
        if turn.result.failure == nil, let notice = turn.result.finish?.notice { report.note(notice) }
        return turn.exitCode
    }
}
