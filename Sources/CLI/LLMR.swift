import Engine
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// The command-line entry: dispatches argv to a command and returns the exit code.
public enum LLMR {
    /// Every command: each sends requests or reads the state store.
    static let commands: [CommandSpec] = [AskCommand.spec, ChatCommand.spec, RouteCommand.spec, ProvidersCommand.spec, BenchCommand.spec,
                                          BudgetCommand.spec, ModelsCommand.spec, CacheCommand.spec, ServeCommand.spec]

    /// The commands by name, for the check at the top of the process: the
    /// specs themselves (every option and help text) are built only when used.
    static let commandNames = ["ask", "chat", "route", "providers", "bench", "budget", "models", "cache", "serve"]
    /// The commands that may send a request: `providers check` probes and `models update` fetches.
    static let sendingCommands = ["ask", "chat", "bench", "providers", "models"]

    /// What to begin before the async runtime starts.
    struct Early: Equatable {
        /// Set libcurl up now, on a thread of its own.
        var warmTransport: Bool
    }

    /// What `argv` needs begun early: nil for help, the version and unknown
    /// commands; else the state store's open, and libcurl's set-up when the
    /// command may send and its answer is not looked for in the response
    /// cache first (`--cache read-write|read-only` or `LLMR_CACHE`): a hit
    /// sends nothing, and a miss sets libcurl up when it sends. Plain string
    /// comparisons only: this runs before anything else, on the critical path.
    static func early(_ argv: [String], environment: [String: String]) -> Early? {
        // serve runs another program at once: nothing to begin here.
        guard argv.count > 1, commandNames.contains(argv[1]), argv[1] != "serve" else { return nil }
        var cacheFlag: String?
        var noCache = false
        var i = 2
        while i < argv.count {
            let a = argv[i]
            if a == "--" { break }
            if a == "-h" || a == "--help" { return nil }
            if a == "--no-cache" { noCache = true }
            if a == "--cache", i + 1 < argv.count {
                cacheFlag = argv[i + 1]
                i += 1
            } else if a.hasPrefix("--cache=") {
                cacheFlag = String(a.dropFirst(8))
            }
            i += 1
        }
        guard sendingCommands.contains(argv[1]) else { return Early(warmTransport: false) }
        // As `Caching.mode` chooses: --no-cache, else --cache, else LLMR_CACHE (the config is not read yet).
        let mode = noCache ? nil : cacheFlag ?? environment["LLMR_CACHE"]
        let reads = argv[1] != "bench" && (mode == "read-write" || mode == "read-only")
        return Early(warmTransport: !reads)
    }

    /// Begins the state store's open (and, for a command that will send,
    /// libcurl's set-up) on threads of their own, before the async runtime
    /// starts: they overlap with parsing and reading the config.
    public static func startEarly(_ argv: [String]) {
        var environment: [String: String] = [:]
        if let value = getenv("LLMR_CACHE") { environment["LLMR_CACHE"] = String(cString: value) }
        guard let plan = early(argv, environment: environment) else { return }
        EarlyStart.begin(warmTransport: plan.warmTransport)
    }

    /// Ends the process with `code` once what began early is safe to leave.
    public static func finish(_ code: Int32) -> Never { EarlyStart.finish(code) }

    static var help: String {
        var s = """
        llmr \(LLMRVersion.string) — send LLM chat requests through a router over many providers

        usage: llmr COMMAND [options] [arguments]

        commands:

        """
        for c in commands { s += "  \(c.name.padding(to: 10))\(c.summary)\n" }
        s += """

        global options:
          -h, --help     show help (also: llmr help COMMAND, llmr COMMAND --help)
              --version  print the version

        Configuration: --config FILE, $LLMR_CONFIG, ~/.config/llmr/config.yaml, else
        the embedded defaults. 'man llmr' has the whole story.

        """
        return s
    }

    /// The whole process: claims the standard descriptors, installs the
    /// signal handling, refuses arguments that are not UTF-8, runs the command
    /// as a task that a signal can cancel, and reports a stdout that could not
    /// be written. `main(_:)` is the command dispatch alone (tests call it).
    public static func process() async -> Int32 {
        Interrupts.install()
        Output.filterAnswer = isatty(1) == 1
        if let problem = ArgumentText.invalidArgument() {
            Output.stderr("llmr: \(problem); llmr sends text only\n")
            return ExitCode.dataError.rawValue
        }
        let task = Task { await main(CommandLine.arguments) }
        Interrupts.onSignal { task.cancel() }
        var code = await task.value
        Interrupts.onSignal(.exits, nil)
        if let interrupted = Interrupts.exitCode { return interrupted }
        Output.endAnswer()
        if let e = Output.stdoutFailure {
            // A reader that went away (| head) ends the output quietly, as for any filter.
            if e == EPIPE { return 128 + SIGPIPE }
            Output.stderr("llmr: cannot write to stdout: \(String(cString: strerror(e))); the output is lost\n")
            code = ExitCode.ioError.rawValue
        }
        return code
    }

    public static func main(_ argv: [String]) async -> Int32 {
        let terminal = Terminal.current()
        let args = Array(argv.dropFirst())
        guard let first = args.first else {
            Output.stderr(help)
            return ExitCode.usage.rawValue
        }
        switch first {
        case "-h", "--help":
            Output.stdout(help)
            return ExitCode.ok.rawValue
        case "--version", "-V":
            Output.stdout("llmr \(LLMRVersion.string)\n")
            return ExitCode.ok.rawValue
        case "help":
            guard args.count > 1, args[1] != "help" else {
                Output.stdout(help)
                return ExitCode.ok.rawValue
            }
            guard let spec = commands.first(where: { $0.name == args[1] }) else {
                return unknownCommand(args[1])
            }
            Output.stdout(spec.help)
            return ExitCode.ok.rawValue
        case "ask":
            return await AskCommand(terminal: terminal).run(Array(args.dropFirst()))
        case "chat":
            return await ChatCommand(terminal: terminal).run(Array(args.dropFirst()))
        case "route":
            return await RouteCommand(terminal: terminal).run(Array(args.dropFirst()))
        case "bench":
            return await BenchCommand(terminal: terminal).run(Array(args.dropFirst()))
        case "providers":
            return await ProvidersCommand(terminal: terminal).run(Array(args.dropFirst()))
        case "models":
            return await ModelsCommand(terminal: terminal).run(Array(args.dropFirst()))
        case "cache":
            return await CacheCommand(terminal: terminal).run(Array(args.dropFirst()))
        case "budget":
            return await BudgetCommand(terminal: terminal).run(Array(args.dropFirst()))
        case "serve":
            return await ServeCommand(terminal: terminal).run(Array(args.dropFirst()))
        default:
            if first.hasPrefix("-") {
                Output.stderr("llmr: unknown option '\(first)'\(Suggest.hint(first, in: ["--help", "--version"])); a command comes first, such as 'llmr ask'\n")
                return ExitCode.usage.rawValue
            }
            return unknownCommand(first)
        }
    }

    static func unknownCommand(_ name: String) -> Int32 {
        let names = commands.map(\.name) + ["help"]
        Output.stderr("llmr: unknown command '\(name)'\(Suggest.hint(name, in: names)); commands: \(commands.map(\.name).joined(separator: ", "))\n")
        return ExitCode.usage.rawValue
    }
}
