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

        let request: ChatRequest
        let seed: UInt64?
        let selection: RouteSelection
        do {
            (request, seed, selection) = try options(parsed)
        } catch {
            if error.code == .usage, error.kind == "no-prompt" {
                Output.stderr("usage: \(Self.spec.usage)\nGive a prompt, or pipe text on stdin. 'llmr ask --help' says more.\n")
                return json ? report.fail(.usage, kind: "usage", "no prompt") : ExitCode.usage.rawValue
            }
            return report.fail(error.code, kind: error.kind, error.message)
        }

        // The state database opens on another thread while the config is read.
        let opening = Self.openState(terminal.environment)

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
        var router = Router(transport: CurlTransport.shared, wires: Wires.all, keys: EnvironmentKeys(environment: terminal.environment))
        let verbose = parsed.has("verbose")
        // Breakers and cooldowns are shared by every llmr process through the
        // state database; without it, every candidate is tried.
        let state = await opening?.value
        if case .success(let log)? = state {
            router.breaker = Breaker(config: config.breaker)
            router.claimer = log
            let providers = Array(Set(plan.candidates.map(\.provider.name)))
            if let health = try? log.snapshot(providers: providers, now: SystemClock().wallTime()) { router.health = health }
        }
        var lastChar: Character?
        let result = await router.execute(plan, request: request, live: live, using: &rng) { event in
            switch event {
            case .delta(let text):
                Output.stdout(text)
                lastChar = text.last ?? lastChar
            case .resuming(let failed, let bytes, let continuing, let next):
                let what = "the answer from \(failed.provider)/\(failed.modelID) broke off after \(bytes) bytes (\(failed.outcome))"
                if continuing {
                    report.note("\(what); \(next.label) continues it")
                } else {
                    Output.stdout("\n")
                    lastChar = "\n"
                    report.note("\(what); it starts again below, on \(next.label)")
                }
            default:
                if verbose { report.event(event) }
            }
        }
        let code = report.finish(result, live: live, lastChar: lastChar)
        // After the answer is out: a slow or full disk never delays or loses it.
        record(result, into: state, config: config, report: report)
        return code
    }

    /// Opens the state database on another thread, while the config is read and
    /// the request planned. Nil when there is nowhere to keep state (no HOME and
    /// no state directory set).
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
    func record(_ result: RouteResult, into state: Result<AttemptLog, AttemptLog.Failure>?, config: Config, report: Report) {
        guard let state, !result.attempts.isEmpty else { return }
        var generator = SystemRandomNumberGenerator()
        let id = String(generator.next(), radix: 16)
        do {
            let log = try state.get()
            try log.record(result, requestID: id, at: SystemClock().wallTime(), breaker: Breaker(config: config.breaker)) {
                config.model(named: $0)
            }
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

    private func usageFailure(_ message: String, json: Bool) -> Int32 {
        Report(json: json, terminal: terminal, color: nil).fail(.usage, kind: "usage", message + "\n'llmr ask --help' lists the options")
    }
}
