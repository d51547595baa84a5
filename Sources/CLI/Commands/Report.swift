import Engine
import RouterCore

/// Everything `ask` tells the user besides the answer: errors, notes, the
/// `--verbose` trace on stderr, and the `--json` object on stdout.
struct Report {
    let json: Bool
    let color: Bool
    let verbose: Bool
    /// The schema of the command's `--json` objects (`llmr.ask/1`, `llmr.route/1`, …).
    let schema: String
    /// The width of the terminal on stderr; nil when stderr is a pipe or file.
    let width: Int?

    init(json: Bool, terminal: Terminal, color: String?, verbose: Bool = false, schema: String) {
        self.json = json
        self.color = terminal.colorOnStderr(color)
        width = terminal.stderrColumns
        self.verbose = verbose
        self.schema = schema
    }

    /// The usage error for a `--color` value other than auto, always or never.
    static func colorProblem(_ value: String?) -> String? {
        guard let value, !["auto", "always", "never"].contains(value) else { return nil }
        return "--color takes auto, always or never, not '\(value)'"
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// A problem before any request was sent: stderr, plus the command's JSON
    /// error object with `--json`; returns the problem's exit code.
    func fail(_ problem: Problem) -> Int32 {
        Output.stderr("llmr: \(problem.message)\n")
        if json {
            Output.stdout(JSONValue.object([
                ("schema", .string(schema)),
                ("error", .object([("kind", .string(problem.jsonKind)), ("message", .string(problem.message))])),
            ]).serialized() + "\n")
        }
        return ExitCode(problem.kind).rawValue
    }

    /// A note or warning; on a terminal wrapped at spaces under its first word
    /// (a word longer than the line, a path say, is never cut).
    func note(_ message: String) {
        guard let width, width > 30, TerminalText.width(message) + 6 > width else {
            Output.stderr("llmr: \(message)\n")
            return
        }
        let lines = Table.wrap(message, to: width - 6, cutWords: false)
        Output.stderr("llmr: " + lines.joined(separator: "\n      ") + "\n")
    }

    /// Text dimmed when stderr has colour.
    func faint(_ text: String) -> String { paint(text, "2") }

    /// A line on stderr, dim on a terminal with colour.
    func dim(_ message: String) {
        Output.stderr(paint(message, "2") + "\n")
    }

    /// The exit code for a routed request's result.
    func exitCode(for result: RouteResult) -> Int32 {
        guard let failure = result.failure else { return ExitCode.ok.rawValue }
        switch failure.kind {
        case .exhausted: return ExitCode.unavailable.rawValue
        case .temporary, .budget: return ExitCode.temporary.rawValue
        case .credentials: return ExitCode.noPermission.rawValue
        case .interrupted: return ExitCode.interrupted.rawValue
        case .tooLarge: return ExitCode.dataError.rawValue
        case .invalidOutput: return ExitCode.unavailable.rawValue
        }
    }

    func plan(_ plan: Plan, config: Config) {
        let route = plan.route.map { "route \($0) (\(plan.strategy.rawValue))" } ?? "model named with -m"
        var lines = "llmr: config \(config.source); \(route); retries \(plan.retries), at most \(plan.maxAttempts) attempts\n"
        for (i, c) in plan.candidates.enumerated() {
            lines += "llmr:   \(i + 1). \(c.label) [\(c.tier.rawValue)] \(c.reason)\n"
        }
        Output.stderr(lines)
    }

    /// Whether `event(_:)` prints a line for this event.
    func traces(_ event: RouterEvent) -> Bool {
        switch event {
        case .delta, .resuming, .firstToken: return false
        default: return true
        }
    }

    func event(_ event: RouterEvent) {
        switch event {
        case .attemptStarted(let c, let n):
            Output.stderr("llmr: → \(c.label) attempt \(n)\n")
        case .attemptFinished(let a, let verdict):
            var line = "llmr: ← \(a.provider)/\(a.modelID) "
            line += a.outcome == .ok ? paint("ok", "32") : paint("\(a.outcome)", "31")
            line += " in \(a.latencyMs) ms"
            if let t = a.ttftMs { line += ", first token \(t) ms" }
            if let u = a.usage { line += ", \(u.inputTokens)+\(u.outputTokens) tokens\(u.estimated ? " (estimated)" : "")" }
            if let f = a.finish { line += ", finish \(f.reason.rawValue)" + (f.raw == f.reason.rawValue ? "" : " (\(f.raw))") }
            if let r = a.retryAfterS { line += ", Retry-After \(DurationParser.format(r))" }
            if let m = a.message { line += " — \(m)" }
            switch verdict {
            case .retryAt: line += "; will retry"
            case .givenUp(let why): line += "; moving on (\(why))"
            case .succeeded: break
            }
            Output.stderr(line + "\n")
        case .held(let c, let why):
            Output.stderr("llmr: ⏸ \(c.label) held: \(why)\n")
        case .waiting(let seconds, let c):
            Output.stderr("llmr: waiting \(DurationParser.format(seconds)) before retrying \(c.label)\n")
        case .skipped(let skip):
            Output.stderr("llmr: ⤼ \(skip.provider)/\(skip.modelID) \(paint("skipped", "33")): \(skip.reason); nothing sent\n")
        case .hedging(let slow, let backup, let after):
            Output.stderr("llmr: no first token from \(slow.label) after \(DurationParser.format(after)): hedging with \(backup.label)\n")
        case .delta, .resuming, .firstToken:
            break
        }
    }

    /// Writes the outcome of a routed request and returns the exit code.
    func finish(_ result: RouteResult, live: Bool, lastChar: Character?) -> Int32 {
        // A streamed answer has ended: what it held back is written now.
        Output.endAnswer()
        if json {
            Output.stdout(Self.json(result).serialized() + "\n")
        } else if let pieces = result.pieces {
            if live {
                if lastChar != nil, lastChar != "\n" { Output.stdout("\n") }
            } else {
                for piece in pieces { Output.answer(piece) }
                Output.endAnswer()
                if let last = pieces.last(where: { !$0.isEmpty }), !last.hasSuffix("\n") { Output.stdout("\n") }
            }
        }
        guard let failure = result.failure else {
            if result.brokenOff { note("the complete answer is the one after the last break") }
            if let notice = result.finish?.notice { note(notice) }
            return ExitCode.ok.rawValue
        }
        if result.brokenOff {
            if live, lastChar != nil, lastChar != "\n" { Output.stdout("\n") }
            // An interrupt is the user's doing: it says only that it was interrupted.
            if failure.kind != .interrupted {
                note("the text above is incomplete: every candidate failed before the answer was whole")
            }
        }
        note(failure.message + (json || verbose || failure.kind == .interrupted ? "" : "\nllmr: run with -v to see every attempt"))
        if let text = result.invalidText { invalid(text) }
        return exitCode(for: result)
    }

    /// The last answer that failed the schema, on stderr (stdout stays empty), cut when long.
    func invalid(_ text: String) {
        let limit = 2000
        let shown = text.count > limit ? String(text.prefix(limit)) + "…" : text
        note("the last answer, which did not validate\(text.count > limit ? " (its first \(limit) characters)" : ""):")
        Output.stderr(shown + (shown.hasSuffix("\n") ? "" : "\n"))
    }

    /// A usage object: input and output tokens, the cached and reasoning parts
    /// when the provider reported them, and `estimated` when llmr counted instead.
    static func usage(_ u: Usage?) -> JSONValue {
        guard let u else { return .null }
        var members: [(String, JSONValue)] = [("input_tokens", .number(Double(u.inputTokens))), ("output_tokens", .number(Double(u.outputTokens)))]
        if let c = u.cachedInputTokens { members.append(("cached_input_tokens", .number(Double(c)))) }
        if let c = u.cacheWriteTokens { members.append(("cache_write_tokens", .number(Double(c)))) }
        if let c = u.reasoningTokens { members.append(("reasoning_tokens", .number(Double(c)))) }
        if u.estimated { members.append(("estimated", true)) }
        return .object(members)
    }

    /// The `llmr.ask/1` object.
    static func json(_ r: RouteResult) -> JSONValue {
        func num(_ v: Int?) -> JSONValue { v.map { .number(Double($0)) } ?? .null }
        func str(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }
        // Rounded to a billionth of a cent: no float noise such as 1.8599999999999998e-05.
        func usd(_ v: Double?) -> JSONValue { v.map { .number(($0 * 1e11).rounded() / 1e11) } ?? .null }
        var members: [(String, JSONValue)] = [("schema", "llmr.ask/1")]
        if let text = r.text { members.append(("text", .string(text))) }
        if let output = r.output { members.append(("output", output)) }
        members += [
            ("route", str(r.route)),
            ("provider", str(r.provider)),
            ("model", str(r.model)),
            ("finish_reason", str(r.finish?.reason.rawValue)),
            ("finish_reason_raw", str(r.finish?.raw)),
            ("usage", usage(r.usage)),
            ("cost_usd", usd(r.costUSD)),
            ("latency_ms", num(r.latencyMs)),
            ("ttft_ms", num(r.ttftMs)),
            ("fallback", .bool(r.fallback)),
            ("cached", .bool(r.cachedAt != nil)),
            ("attempts", .array(r.attempts.map { a in
                .object([
                    ("provider", .string(a.provider)), ("model", .string(a.model)), ("outcome", .string("\(a.outcome)")),
                    ("status", num(a.status)), ("latency_ms", num(a.latencyMs)), ("ttft_ms", num(a.ttftMs)),
                    ("retry_after_s", a.retryAfterS.map { .number($0) } ?? .null), ("message", str(a.message)),
                    ("hedged", .bool(a.hedged)), ("finish_reason", str(a.finish?.reason.rawValue)),
                    ("usage", usage(a.usage)), ("cost_usd", usd(a.costUSD)),
                ])
            })),
        ]
        if !r.skipped.isEmpty {
            members.append(("skipped", .array(r.skipped.map {
                .object([("provider", .string($0.provider)), ("model", .string($0.model)), ("reason", .string($0.reason))])
            })))
        }
        if let f = r.failure {
            members.append(("error", .object([("kind", .string(f.kind.rawValue)), ("message", .string(f.message))])))
        }
        return .object(members)
    }
}
