import Engine
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// The command-line entry: dispatches argv to a command and returns the exit code.
public enum LLMR {
    /// Every command: each sends requests or reads the state store.
    static let commands: [CommandSpec] = [AskCommand.spec, ChatCommand.spec, RouteCommand.spec, ProvidersCommand.spec, BenchCommand.spec,
                                          BudgetCommand.spec, ModelsCommand.spec, CacheCommand.spec]

    /// Begins libcurl's set-up and the state store's open on threads of their
    /// own, before the async runtime starts, when `argv` names a command (and
    /// does not ask for its help): they overlap with parsing and reading the config.
    public static func startEarly(_ argv: [String]) {
        guard argv.count > 1, commands.contains(where: { $0.name == argv[1] }),
              !argv.dropFirst(2).contains(where: { $0 == "-h" || $0 == "--help" }) else { return }
        EarlyStart.begin()
    }

    /// Waits for the early set-up to be over: call just before exit.
    public static func settle() { EarlyStart.settle() }

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
