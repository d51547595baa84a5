import Providers
import RouterCore
import CurlTransport
import StateStore
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
        69 every candidate failed, 75 rate-limited, 77 credentials, 78 config.
        """,
        options: [
            OptionSpec("model", short: "m", value: "MODEL", help: "a catalog model or provider/model-id; bypasses routing"),
            OptionSpec("route", short: "r", value: "NAME", help: "the route to use (default: 'default')"),
            OptionSpec("task", short: "t", value: "NAME", help: "pick the route for a task (chat, code, reasoning, …)"),
            OptionSpec("system", short: "s", value: "TEXT", help: "a system prompt"),
            OptionSpec("max-tokens", value: "N", help: "the most tokens the answer may have"),
            OptionSpec("temperature", value: "X", help: "sampling temperature, 0 to 2"),
            OptionSpec("seed", value: "N", help: "seed for weighted picks and jitter (reproducible plans)"),
            OptionSpec("stream", help: "write the answer live even when stdout is not a terminal"),
            OptionSpec("no-stdin", help: "never read stdin"),
            OptionSpec("json", help: "print one llmr.ask/1 JSON object instead of the answer"),
            OptionSpec("config", value: "FILE", help: "the config file (default: $LLMR_CONFIG, ~/.config/llmr/config.yaml)"),
            OptionSpec("verbose", short: "v", help: "print the plan and one line per attempt on stderr"),
            OptionSpec("color", value: "WHEN", help: "colour on stderr: auto, always or never"),
            OptionSpec("help", short: "h", help: "show this help"),
        ]
    )

    /// The largest stdin llmr reads: past this it refuses rather than truncate.
    static let stdinLimit = 64 << 20

    let terminal: Terminal

    func run(_ args: [String]) async -> Int32 {
        let parsed: ParsedArguments
        do { parsed = try ArgumentParser(spec: Self.spec).parse(args) } catch {
            return usageFailure(error.message, json: args.contains("--json"))
        }
        if parsed.has("help") {
            Output.stdout(Self.spec.help)
            return ExitCode.ok.rawValue
        }
        let json = parsed.has("json")
        let report = Report(json: json, terminal: terminal, color: parsed.value("color"), verbose: parsed.has("verbose"))
        if let c = parsed.value("color"), !["auto", "always", "never"].contains(c) {
            return report.fail(.usage, kind: "usage", "--color takes auto, always or never, not '\(c)'")
        }

        // Options that take numbers.
        var request = ChatRequest(messages: [])
        if let v = parsed.value("max-tokens") {
            guard let n = Int(v), n > 0 else { return report.fail(.usage, kind: "usage", "--max-tokens needs a whole number above 0, not '\(v)'") }
            request.maxTokens = n
        }
        if let v = parsed.value("temperature") {
            guard let t = Double(v), t >= 0, t <= 2 else { return report.fail(.usage, kind: "usage", "--temperature needs a number from 0 to 2, not '\(v)'") }
            request.temperature = t
        }
        var seed: UInt64?
        if let v = parsed.value("seed") {
            guard let s = UInt64(v) else { return report.fail(.usage, kind: "usage", "--seed needs a whole number, not '\(v)'") }
            seed = s
        }
        let selection: RouteSelection
        let chosen = ["model", "route", "task"].filter { parsed.value($0) != nil }
        if chosen.count > 1 {
            return report.fail(.usage, kind: "usage", "use only one of --model, --route and --task (got --\(chosen.joined(separator: " and --")))")
        }
        if let m = parsed.value("model") { selection = .model(m) }
        else if let r = parsed.value("route") { selection = .route(r) }
        else if let t = parsed.value("task") { selection = .task(t) }
        else { selection = .automatic }

        // The prompt: words, then stdin.
        let words = parsed.positionals
        let stdinOnly = words == ["-"]
        var prompt = stdinOnly ? "" : words.joined(separator: " ")
        let readStdin = !parsed.has("no-stdin") && !terminal.stdinIsTTY
        if stdinOnly, parsed.has("no-stdin") {
            return report.fail(.usage, kind: "usage", "'-' asks for stdin, but --no-stdin forbids reading it")
        }
        if stdinOnly, terminal.stdinIsTTY {
            return report.fail(.usage, kind: "usage", "'-' asks for stdin, but stdin is a terminal; pipe text in")
        }
        if readStdin {
            let bytes: [UInt8]
            do { bytes = try FileIO.readAll(fd: 0, limit: Self.stdinLimit) } catch {
                return report.fail(.dataError, kind: "input", "cannot read stdin: \(error.message); llmr reads at most \(Self.stdinLimit >> 20) MiB")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                let at = Self.firstInvalidUTF8(bytes)
                return report.fail(.dataError, kind: "input", "stdin is not UTF-8 text (invalid byte at offset \(at)); llmr sends text only")
            }
            if text.contains("\0") {
                return report.fail(.dataError, kind: "input", "stdin holds NUL bytes, so it looks binary; llmr sends text only")
            }
            if !text.isEmpty { prompt = prompt.isEmpty ? text : prompt + "\n\n" + text }
        }
        if prompt.trimmingWhitespace().isEmpty {
            if words.isEmpty, !readStdin {
                Output.stderr("usage: \(Self.spec.usage)\nGive a prompt, or pipe text on stdin. 'llmr ask --help' says more.\n")
                return report.json ? report.fail(.usage, kind: "usage", "no prompt") : ExitCode.usage.rawValue
            }
            return report.fail(.usage, kind: "usage", "the prompt is empty: give words, or pipe text on stdin")
        }
        if let system = parsed.value("system") { request.messages.append(Message(role: .system, content: system)) }
        request.messages.append(Message(role: .user, content: prompt))

        // Config and plan.
        let config: Config
        do { config = try ConfigLocator.load(explicit: parsed.value("config"), environment: terminal.environment) } catch {
            return report.fail(.config, kind: "config", "config error: \(error)")
        }
        var rng = RequestRandom(seed: seed)
        let plan: Plan
        do { plan = try Planner(config: config).plan(request, selection: selection, using: &rng) } catch {
            return report.fail(error.kind == .usage ? .usage : .config, kind: error.kind == .usage ? "usage" : "config", error.message)
        }
        if let tooSmall = Self.contextProblem(plan, request) {
            return report.fail(.dataError, kind: "input", tooSmall)
        }
        if parsed.has("verbose") { report.plan(plan, config: config) }

        // Execute.
        let live = !json && (terminal.stdoutIsTTY || parsed.has("stream"))
        let router = Router(transport: CurlTransport.shared, wires: Wires.all, keys: EnvironmentKeys(environment: terminal.environment))
        let verbose = parsed.has("verbose")
        let state = Self.openState(terminal.environment)
        var lastChar: Character?
        let result = await router.execute(plan, request: request, live: live, using: &rng) { event in
            switch event {
            case .delta(let text):
                Output.stdout(text)
                lastChar = text.last ?? lastChar
            case .brokeOff(let bytes, let failed, let again):
                Output.stdout("\n")
                lastChar = "\n"
                let next = again ? "the answer starts again below, from the next attempt" : "no candidate is left to finish it"
                report.note("the answer from \(failed.provider)/\(failed.modelID) broke off after \(bytes) bytes (\(failed.outcome)); \(next)")
            default:
                if verbose { report.event(event) }
            }
        }
        let code = report.finish(result, live: live, lastChar: lastChar)
        // After the answer is out: a slow or full disk never delays or loses it.
        await record(result, into: state, config: config, report: report)
        return code
    }

    /// Opens the state database on another thread while the request is in
    /// flight, so the cost of opening hides behind the network. Nil when there is
    /// nowhere to keep state (no HOME and no state directory set).
    static func openState(_ env: [String: String]) -> Task<Result<AttemptLog, AttemptLog.Failure>, Never>? {
        guard let dir = StatePath.directory(env) else { return nil }
        return Task.detached {
            guard StatePath.makeDirectory(dir) else {
                return .failure(AttemptLog.Failure(path: dir, reason: "cannot create the directory"))
            }
            return Result { () throws(AttemptLog.Failure) in try AttemptLog(path: dir + "/state.sqlite") }
        }
    }

    /// Appends the request's attempts to the state database; a failure is a warning only.
    func record(_ result: RouteResult, into state: Task<Result<AttemptLog, AttemptLog.Failure>, Never>?, config: Config, report: Report) async {
        guard let state, !result.attempts.isEmpty else { return }
        var generator = SystemRandomNumberGenerator()
        let id = String(generator.next(), radix: 16)
        do {
            let log = try await state.value.get()
            try log.record(result, requestID: id, at: SystemClock().wallTime()) { config.model(named: $0) }
        } catch {
            report.note("warning: this request was not recorded in the state database (\(error)); the answer is unaffected")
        }
    }

    /// The message for a prompt no candidate can hold, or nil when one can (or windows are unknown).
    static func contextProblem(_ plan: Plan, _ request: ChatRequest) -> String? {
        let needed = request.estimatedPromptTokens + (request.maxTokens ?? 0)
        let windows = plan.candidates.map { ($0.label, $0.model.context) }
        guard windows.allSatisfy({ $0.1 != nil }), windows.allSatisfy({ needed > $0.1 ?? 0 }) else { return nil }
        let list = windows.map { "\($0.0) holds \($0.1 ?? 0)" }.joined(separator: ", ")
        return "the prompt is too large for every candidate: about \(needed) tokens needed; \(list)"
    }

    /// The offset of the first byte that does not start or continue a valid UTF-8 character.
    static func firstInvalidUTF8(_ b: [UInt8]) -> Int {
        var i = 0
        while i < b.count {
            let c = b[i]
            let extra: Int
            switch c {
            case 0x00..<0x80: i += 1; continue
            case 0xC2...0xDF: extra = 1
            case 0xE0...0xEF: extra = 2
            case 0xF0...0xF4: extra = 3
            default: return i
            }
            guard i + extra < b.count, String(validating: b[i...(i + extra)], as: UTF8.self) != nil else { return i }
            i += extra + 1
        }
        return b.count
    }

    private func usageFailure(_ message: String, json: Bool) -> Int32 {
        Report(json: json, terminal: terminal, color: nil).fail(.usage, kind: "usage", message + "\n'llmr ask --help' lists the options")
    }
}
