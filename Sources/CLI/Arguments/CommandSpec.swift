import Engine
import RouterCore

/// One option a command accepts.
public struct OptionSpec: Sendable, Equatable {
    public var long: String
    public var short: Character?
    /// The value's placeholder in help (`MODEL`); nil for a flag.
    public var value: String?
    public var help: String

    public init(_ long: String, short: Character? = nil, value: String? = nil, help: String) {
        self.long = long
        self.short = short
        self.value = value
        self.help = help
    }

    /// The options every command takes, in the words every command uses for them.
    static let config = OptionSpec("config", value: "FILE", help: "the config file (default: $LLMR_CONFIG, ~/.config/llmr/config.yaml)")
    static let color = OptionSpec("color", value: "WHEN", help: "colour on stderr: auto, always or never")
    static let help = OptionSpec("help", short: "h", help: "show this help")

    var display: String {
        var s = short.map { "-\($0), " } ?? "    "
        s += "--\(long)"
        if let value { s += " \(value)" }
        return s
    }
}


/// A command's name, help text and options.
public struct CommandSpec: Sendable {
    public var name: String
    public var summary: String
    public var usage: String
    public var description: String
    public var options: [OptionSpec]

    /// The schema of the command's `--json` objects, errors included.
    public var schema: String { "llmr.\(name)/1" }

    /// The full `--help` text.
    public var help: String {
        var s = "usage: \(usage)\n\n\(description)\n\noptions:\n"
        let width = options.map(\.display.count).max() ?? 0
        for o in options {
            s += "  " + o.display.padding(to: width) + "  " + o.help + "\n"
        }
        return s
    }
}

extension String {
    /// The text padded with spaces to `width` terminal columns (colour codes take none).
    func padding(to width: Int) -> String {
        let shown = TerminalText.width(self)
        return shown >= width ? self : self + String(repeating: " ", count: width - shown)
    }
}

/// How a command starts: with its arguments and its report, or already done.
enum CommandStart {
    case run(ParsedArguments, Report)
    /// A usage error, `--help` or a bad `--color` was answered; the exit code.
    case done(Int32)
}

extension CommandSpec {
    /// What every command does first: parse `args` (a mistake is a usage
    /// error, with `--json` as JSON too), answer `--help`, check `--color`.
    func start(_ args: [String], terminal: Terminal) -> CommandStart {
        let parsed: ParsedArguments
        do { parsed = try ArgumentParser(spec: self).parse(args) } catch {
            return .done(Report(json: args.contains("--json"), terminal: terminal, color: nil, schema: schema)
                .fail(.usage(error.message + "\n'llmr \(name) --help' lists the options")))
        }
        if parsed.has("help") {
            Output.stdout(help)
            return .done(ExitCode.ok.rawValue)
        }
        let report = Report(json: parsed.has("json"), terminal: terminal, color: parsed.value("color"), verbose: parsed.has("verbose"),
                            schema: schema)
        if let problem = Report.colorProblem(parsed.value("color")) { return .done(report.fail(.usage(problem))) }
        return .run(parsed, report)
    }
}

extension CommandSpec {
    /// The subcommand a first word names (`fallback` when the first word is an
    /// option or there is none) and the words after it; nil, after saying so
    /// with the nearest name, when the first word names none of `choices`.
    func subcommand(_ args: [String], choices: [String], fallback: String) -> (String, [String])? {
        guard let first = args.first, !first.hasPrefix("-") else { return (fallback, args) }
        guard choices.contains(first) else {
            Output.stderr("llmr: unknown \(name) command '\(first)'\(Suggest.hint(first, in: choices)); one of: \(choices.joined(separator: ", "))\n")
            return nil
        }
        return (first, Array(args.dropFirst()))
    }
}
