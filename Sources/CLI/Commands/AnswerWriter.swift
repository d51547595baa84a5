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

    init(report: Report, terminal: Terminal, live: Bool, verbose: Bool, sayFailovers: Bool = false, clearsStatus: Bool = false) {
        self.report = report
        self.terminal = terminal
        self.live = live
        self.verbose = verbose
        self.sayFailovers = sayFailovers
        statusShown = clearsStatus
    }

    /// A status line (no line break) the caller wrote on stderr, cleared before anything else is said there.
    private var statusShown: Bool

    /// Clears the caller's status line, once.
    func clearStatus() {
        guard statusShown else { return }
        statusShown = false
        Output.stderr("\r\u{1B}[K")
    }

    /// The last failed attempt, which is why a wait comes.
    private var lastFailure: AttemptRecord?
    /// Why candidates at their rate limit are held, by label: the reason for their wait.
    private var holds: [String: String] = [:]
    /// The ledger warning is said once.
    private var saidLedger = false
    /// The live countdown of a wait on a terminal, while it runs.
    private var countdown: Task<Void, Never>?

    func observe(_ event: RouterEvent) {
        if countdown != nil { stopCountdown() }
        switch event {
        case .delta, .firstToken, .attemptStarted: break
        case .attemptFinished(let a, _) where a.outcome == .ok: break
        default: clearStatus()
        }
        if case .attemptFinished(let a, _) = event, a.outcome != .ok { lastFailure = a }
        if case .held(let c, let why) = event { holds[c.label] = why }
        switch event {
        case .skipped(let skip) where !verbose && !saidLedger:
            // Budgets not read are budgets not kept: said even without -v.
            if case .budgetLedgerUnreadable = skip.availability {
                saidLedger = true
                startLineOfItsOwn()
                report.note("warning: \(skip.availability.reason) (\(skip.model) held back)")
            }
        case .waiting(let seconds, let c) where !verbose && seconds >= 1:
            say(waiting: seconds, for: c)
        case .delta(let text):
            Output.answer(text)
            lastChar = text.last ?? lastChar
        case .resuming(let failed, let bytes, let continuing, let next):
            let what = "the answer from \(failed.model) broke off after \(bytes) bytes (\(failed.outcome))"
            if continuing {
                startLineOfItsOwn()
                report.note("\(what); \(next.name) continues it")
            } else {
                Output.stdout("\n")
                lastChar = "\n"
                report.note("\(what); it starts again below, on \(next.name)")
            }
        case .attemptFinished(let a, let verdict) where sayFailovers && !verbose && ![.ok, .hedgeLost, .interrupted].contains(a.outcome):
            // Say what happens next: the same candidate again, or the next one.
            startLineOfItsOwn()
            if case .retryAt = verdict {
                report.note("\(a.model) failed (\(a.outcome)); trying it again")
            } else {
                report.note("\(a.model) failed (\(a.outcome)); trying the next candidate")
            }
        default:
            guard verbose else { break }
            if report.traces(event) { startLineOfItsOwn() }
            report.event(event)
        }
    }

    /// A wait of a second or more is said as it starts: on a terminal as a live
    /// countdown cleared when it ends, elsewhere as one line.
    private func say(waiting seconds: Double, for c: Candidate) {
        var why = "it is being retried"
        if let hold = holds[c.label] {
            why = hold
        } else if let a = lastFailure {
            why = a.retryAfterS.map { "\(a.outcome), Retry-After \(DurationParser.format($0))" } ?? "\(a.outcome), backing off"
        }
        let held = holds[c.label] != nil
        let text = { (left: Double) in
            held ? "waiting \(DurationParser.format(left)) for a slot of \(c.name) (\(why)); Ctrl-C stops"
                : "waiting \(DurationParser.format(left)) before trying \(c.name) again (\(why)); Ctrl-C stops"
        }
        guard terminal.stderrIsTTY else {
            report.note(text(seconds.rounded(.up)))
            return
        }
        startLineOfItsOwn()
        let deadline = SystemClock().now() + seconds
        let faint = report.faint
        countdown = Task {
            while !Task.isCancelled {
                let left = deadline - SystemClock().now()
                guard left > 0 else { return }
                Output.stderr("\r\u{1B}[K" + faint("llmr: " + text(left.rounded(.up))))
                // Until the whole seconds shown change.
                try? await Task.sleep(nanoseconds: UInt64(nanoseconds: max(0.05, left - (left.rounded(.up) - 1))))
            }
        }
    }

    /// The request is over: nothing of the writer's stays on the screen.
    func done() {
        if countdown != nil { stopCountdown() }
    }

    /// Ends the countdown and clears its line.
    private func stopCountdown() {
        countdown?.cancel()
        countdown = nil
        Output.stderr("\r\u{1B}[K")
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
