import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// The command-line entry: dispatches argv to a command and returns the exit code.
public enum LLMR {
    static let commands: [CommandSpec] = [AskCommand.spec, RouteCommand.spec, ProvidersCommand.spec]

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

    public static func main(_ argv: [String]) async -> Int32 {
        installInterruptHandler()
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
            guard args.count > 1 else {
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
        case "route":
            return await RouteCommand(terminal: terminal).run(Array(args.dropFirst()))
        case "providers":
            return await ProvidersCommand(terminal: terminal).run(Array(args.dropFirst()))
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

    /// Ctrl-C ends the process with 130 at once; a partial answer is never finished off as if whole.
    static func installInterruptHandler() {
        signal(SIGINT) { _ in
            let nl: [UInt8] = [10]
            _ = nl.withUnsafeBytes { write(2, $0.baseAddress, 1) }
            _exit(130)
        }
    }
}
