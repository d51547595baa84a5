import Engine
import RouterCore

/// `llmr chat`: a conversation through the router, on a terminal (the REPL)
/// or from piped stdin (each line a turn); `--list` and `--export` for saved sessions.
struct ChatCommand {
    static let spec = CommandSpec(
        name: "chat",
        summary: "a conversation that survives provider failures (a REPL on a terminal)",
        usage: "llmr chat [options]",
        description: """
        On a terminal, an interactive session: each turn sends the whole conversation
        through the route, streams the answer, and ends with a footer (who answered,
        any failover, time to first token, tokens, the turn's cost and the session's).
        Ctrl-C stops the answer being written (it stays on screen, left out of the
        conversation); Ctrl-D or /exit ends the session. History is kept in
        $XDG_STATE_HOME/llmr/history (not with LLMR_NOHISTORY=1, nor for lines that
        start with a space). /help lists the commands: /model /route /system /set
        /file /retry /clear /trim /sessions /resume /rename /cost /exit.
        With stdin not a terminal, each line is a turn ('\"\"\"' opens and closes one of
        many lines; a line ending in \\ continues) and each answer is written to
        stdout followed by a blank line; footers go to stderr with -v. It stops at the
        first turn that fails, with ask's exit code.
        Every completed turn is saved in the session (--session NAME resumes or
        starts one; -c resumes the most recent); 'llmr ask -c' adds a turn.
        Exit codes: 0, 64 usage, 65 too large for every window, 69, 74, 75, 77, 78, 130.
        """,
        options: RequestInput.sharedOptions.filter { $0.long != "no-stdin" } + [
            OptionSpec("session", value: "NAME", help: "resume the session NAME, or start it"),
            OptionSpec("continue", short: "c", help: "resume the most recent session"),
            OptionSpec("list", help: "list the saved sessions (name, turns, last used, cost)"),
            OptionSpec("export", value: "NAME", help: "print a saved session as Markdown (--json: as JSON)"),
            OptionSpec("json", help: "one llmr.chat/1 object per turn (piped), or JSON for --list and --export"),
            OptionSpec("verbose", short: "v", help: "the plan and every attempt on stderr; footers when piped"),
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
        let verbose = parsed.has("verbose")
        if let word = parsed.positionals.first {
            return report.fail(.usage("chat takes no prompt ('\(word)'); type it at the prompt, pipe it in, or use 'llmr ask'"))
        }
        if parsed.has("continue"), parsed.value("session") != nil { return report.fail(.usage("use either -c or --session")) }
        let input: RequestInput
        let context: RoutingContext
        do {
            input = try RequestInput(parsed, terminal: terminal, promptRequired: false, withPrompt: false)
            context = try await RoutingContext.load(configPath: parsed.value("config"), environment: terminal.environment)
        } catch {
            return report.fail(error)
        }
        if parsed.has("list") || parsed.value("export") != nil {
            return saved(parsed, context: context, report: report)
        }
        let session = ChatView(session: input.chatSession(context), terminal: terminal, report: report, verbose: verbose)
        do {
            session.session.cacheMode = try Caching.mode(flag: parsed.value("cache"), noCache: parsed.has("no-cache"),
                                                         environment: terminal.environment, config: context.config.cache)
            try Self.open(parsed, session, system: input.request.systemPrompt)
        } catch {
            return report.fail(error)
        }
        if terminal.stdinIsTTY, !StandardStreams.stdinWasClosed {
            return await REPL(session: session, terminal: terminal).run()
        }
        return await piped(session, report: report)
    }

    /// Opens the session to use: `--session NAME` (resumed when saved), `-c`
    /// (the most recent), else a new one. A resumed session's last turns are
    /// shown on a terminal. A system prompt given now replaces a resumed session's.
    static func open(_ parsed: ParsedArguments, _ view: ChatView, system: String?, showing: Bool = true) throws(Problem) {
        let session = view.session
        var wanted = parsed.value("session")
        if parsed.has("continue") {
            let recent: String?
            do { recent = try session.mostRecent() } catch { throw Problem(.state, "cannot read the saved sessions: \(error)") }
            guard let recent else {
                throw .usage("there is no saved session to continue; start one with 'llmr chat' or --session NAME")
            }
            wanted = recent
        }
        if let name = wanted {
            let resumed: Bool
            do { resumed = try session.resume(name) } catch {
                throw Problem(.state, "cannot read session \(TerminalText.printable(name)): \(error)")
            }
            if resumed {
                if showing, view.terminal.stdinIsTTY {
                    view.report.dim("resuming \(view.shownName): \(session.conversation.turns.count) turns")
                    view.showRecent()
                }
            } else {
                // A new session's name is checked; a saved one is resumed by whatever name it has.
                if let problem = SessionName.problem(name) { throw .usage(problem) }
                session.name = name
            }
        } else {
            session.name = session.newName()
        }
        if let system { session.conversation.system = system }
    }

    /// `--list` and `--export NAME`.
    func saved(_ parsed: ParsedArguments, context: RoutingContext, report: Report) -> Int32 {
        guard let log = context.store else {
            return report.fail(Problem(.state, "no state database, so no saved sessions (set HOME or LLMR_STATE_DIR)"))
        }
        let json = parsed.has("json")
        do {
            if let name = parsed.value("export") {
                guard let s = try log.session(name) else {
                    let names = try log.sessions().map(\.name)
                    return report.fail(.usage("no session '\(name)'\(Suggest.hint(name, in: names)); 'llmr chat --list' lists them"))
                }
                // Model text and stored names: on a terminal without control sequences, byte for byte into a pipe.
                Output.answer(json ? Export.json(name: name, s.system, s.turns).serialized() + "\n" : Export.markdown(name: name, s.system, s.turns))
                Output.endAnswer()
                return ExitCode.ok.rawValue
            }
            let list = try log.sessions()
            Output.answer(json ? SessionList.json(list).serialized() + "\n" : list.isEmpty ? "no saved sessions\n" : SessionList.table(list))
            Output.endAnswer()
            return ExitCode.ok.rawValue
        } catch {
            return report.fail(Problem(.state, "cannot read the sessions: \(error)"))
        }
    }

    /// Piped stdin: each entry a turn (or a command), answered on stdout as
    /// soon as its last line arrives, so a program that waits for each answer
    /// before it writes the next line (a coprocess) is answered.
    func piped(_ session: ChatView, report: Report) async -> Int32 {
        var reader = LineReader(fd: 0, limit: RequestInput.stdinLimit)
        var input = ChatInput()
        var atEnd = false
        while !atEnd {
            var entry: String?
            do {
                if let line = try reader.next() { entry = input.feed(line) } else { entry = input.finish(); atEnd = true }
            } catch {
                return report.fail(.data(error.message))
            }
            if let entry, let code = await pipedTurn(entry, session, report: report) { return code }
        }
        return ExitCode.ok.rawValue
    }

    /// One piped entry; the exit code when the session stops there.
    private func pipedTurn(_ entry: String, _ session: ChatView, report: Report) async -> Int32? {
        guard !entry.trimmingWhitespace().isEmpty else { return nil }
        var turn: ChatView.TurnResult?
        if ChatView.isCommand(entry) {
            switch session.command(entry) {
            case .handled: return nil
            case .exit: return ExitCode.ok.rawValue
            case .failed(let message): return report.fail(.usage(message))
            case .retry(let text, let only): turn = await session.send(text, live: false, only: only)
            }
        } else {
            turn = await session.send(entry, live: false)
        }
        guard let turn else { return nil }
        if report.json { Output.stdout(session.json(turn).serialized() + "\n") } else if turn.result.failure == nil { Output.stdout("\n") }
        if turn.result.failure == nil, session.verbose { report.dim(session.footer(turn.result)) }
        return turn.exitCode != ExitCode.ok.rawValue ? turn.exitCode : nil
    }
}

/// `chat --export`: a saved session as Markdown or JSON.
enum Export {
    static func markdown(name: String, _ system: String?, _ turns: [SavedTurn]) -> String {
        var out = "# \(name)\n\n"
        if let system { out += "System: \(system)\n\n" }
        for t in turns {
            let who = [t.provider.flatMap { p in t.model.map { "\(p)/\($0)" } }, t.costUSD.map { "$" + NumberText.sixDecimals($0) }, Timestamp.iso(t.at)]
            out += "## Turn \(t.turn) (\(who.compactMap { $0 }.joined(separator: ", ")))\n\n**You:**\n\n\(t.user)\n\n**Assistant:**\n\n\(t.assistant)\n\n"
        }
        return out
    }

    static func json(name: String, _ system: String?, _ turns: [SavedTurn]) -> JSONValue {
        .object([("schema", "llmr.session/1"), ("name", .string(name)), ("system", system.map { .string($0) } ?? .null),
                 ("turns", .array(turns.map { t in
                     .object([("turn", .number(Double(t.turn))), ("at", .string(Timestamp.iso(t.at))), ("user", .string(t.user)),
                              ("assistant", .string(t.assistant)), ("provider", t.provider.map { .string($0) } ?? .null),
                              ("model", t.model.map { .string($0) } ?? .null), ("cost_usd", t.costUSD.map { .number($0) } ?? .null)])
                 }))])
    }
}
