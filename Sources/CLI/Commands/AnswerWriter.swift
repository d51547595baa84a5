import Engine
import RouterCore

/// Writes a routed answer as the router reports it: text to stdout as it
/// streams, a break and its continuation or restart said on stderr, and the
/// `-v` trace, started on a line of its own when it shares the terminal with
/// the answer. `ask` and `chat` use the same one.
final class AnswerWriter {
    let report: Report
    let terminal: Terminal
    let live: Bool
    let verbose: Bool
    /// Without `-v`, still say in one line when an attempt fails and the next candidate goes (chat).
    let sayFailovers: Bool
    /// The last character written to stdout, for where the next line starts.
    private(set) var lastChar: Character?

    init(report: Report, terminal: Terminal, live: Bool, verbose: Bool, sayFailovers: Bool = false) {
        self.report = report
        self.terminal = terminal
        self.live = live
        self.verbose = verbose
        self.sayFailovers = sayFailovers
    }

    func observe(_ event: RouterEvent) {
        switch event {
        case .delta(let text):
            Output.answer(text)
            lastChar = text.last ?? lastChar
        case .resuming(let failed, let bytes, let continuing, let next):
            let what = "the answer from \(failed.provider)/\(failed.modelID) broke off after \(bytes) bytes (\(failed.outcome))"
            if continuing {
                startLineOfItsOwn()
                report.note("\(what); \(next.label) continues it")
            } else {
                Output.stdout("\n")
                lastChar = "\n"
                report.note("\(what); it starts again below, on \(next.label)")
            }
        case .attemptFinished(let a, let verdict) where sayFailovers && !verbose && ![.ok, .hedgeLost, .interrupted].contains(a.outcome):
            // Say what happens next: the same candidate again, or the next one.
            startLineOfItsOwn()
            if case .retryAt = verdict {
                report.note("\(a.provider)/\(a.modelID) failed (\(a.outcome)); trying it again")
            } else {
                report.note("\(a.provider)/\(a.modelID) failed (\(a.outcome)); trying the next candidate")
            }
        default:
            guard verbose else { break }
            if report.traces(event) { startLineOfItsOwn() }
            report.event(event)
        }
    }

    /// On a terminal a note shares the screen with the answer: it starts on a
    /// line of its own (the line break goes to stderr, so stdout stays the
    /// answer), and the answer resumes on the line after it.
    private func startLineOfItsOwn() {
        guard live, terminal.stdoutIsTTY, terminal.stderrIsTTY, let c = lastChar, c != "\n" else { return }
        Output.stderr("\n")
        lastChar = "\n"
    }
}
