#if canImport(Glibc)
import Glibc
#endif
import Engine

/// The process's standard streams and environment, read once.
public struct Terminal: Sendable {
    public var stdinIsTTY: Bool
    public var stdoutIsTTY: Bool
    public var stderrIsTTY: Bool
    public var environment: [String: String]

    public static func current() -> Terminal {
        Terminal(stdinIsTTY: isatty(0) == 1, stdoutIsTTY: isatty(1) == 1, stderrIsTTY: isatty(2) == 1, environment: ProcessEnvironment.current())
    }

    /// How wide tables on stdout may be: on a terminal, `COLUMNS` when it is
    /// set to a number (as `ls` does), else the terminal's own width; nil
    /// into a pipe or file, where rows stay whole.
    public var stdoutColumns: Int? { columns(fd: 1, isTTY: stdoutIsTTY) }

    /// The same for what is drawn on stderr (bench's live lanes, countdowns).
    public var stderrColumns: Int? { columns(fd: 2, isTTY: stderrIsTTY) }

    private func columns(fd: Int32, isTTY: Bool) -> Int? {
        guard isTTY else { return nil }
        if let text = environment["COLUMNS"], let n = Int(text), n > 0 { return min(n, 10_000) }
        return StandardStreams.terminalColumns(fd)
    }

    /// Whether a table on stdout gets colour: the same rules, for stdout.
    public func colorOnStdout(_ choice: String?) -> Bool {
        choice == nil || choice == "auto" ? stdoutIsTTY && colorOnStderr("auto") : colorOnStderr(choice)
    }

    /// Whether stderr gets colour: `--color always|never|auto`; auto means a
    /// terminal, `NO_COLOR` unset or empty, and `TERM` not `dumb`.
    public func colorOnStderr(_ choice: String?) -> Bool {
        switch choice {
        case "always": return true
        case "never": return false
        default:
            if let v = environment["NO_COLOR"], !v.isEmpty { return false }
            if environment["TERM"] == "dumb" { return false }
            return stderrIsTTY
        }
    }
}
