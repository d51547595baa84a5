import Engine
import RouterCore

/// A chat session as the terminal shows it: the engine's `ChatSession` does
/// the conversation, the routing and the saving; this writes each answer,
/// the notes and footers, and runs the `/` commands. `chat` (the REPL and
/// piped stdin) and `ask -c` drive it a turn at a time.
final class ChatView {
    let session: ChatSession
    let terminal: Terminal
    let report: Report
    var verbose: Bool
    /// Whether the user was told that turns are not being saved: once a session is enough.
    private var saidUnsaved = false

    /// What became of one turn, for the command that drives it.
    struct TurnResult {
        var result: RouteResult
        /// Its number in the session, when it was saved.
        var number: Int?
        var exitCode: Int32
    }

    init(session: ChatSession, terminal: Terminal, report: Report, verbose: Bool) {
        self.session = session
        self.terminal = terminal
        self.report = report
        self.verbose = verbose
    }

    var context: RoutingContext { session.context }
    var name: String { session.name }
    /// The name as a terminal may show it (a stored name may hold anything).
    var shownName: String { TerminalText.printable(name) }
    var store: (any StateBackend)? { session.store }

    /// Sends `text` as the next turn. `live` streams the answer to stdout as it
    /// comes; otherwise it is written whole, followed by a blank line. `only`
    /// overrides the selection for this turn (`/retry MODEL`).
    func send(_ text: String, live asked: Bool, only: RouteSelection? = nil) async -> TurnResult {
        // JSON for a schema is written once it validates, never streamed.
        let live = asked && session.schema == nil
        let writer = AnswerWriter(report: report, terminal: terminal, live: live, verbose: verbose, sayFailovers: true)
        var turn = await session.send(text, live: live, only: only) { event in
            switch event {
            case .planned(let plan): if verbose { report.plan(plan, config: context.config) }
            case .router(let e): writer.observe(e)
            case .note(let message): report.note(message)
            case .cacheHit(let hit):
                if verbose {
                    report.note(Caching.hitNote(hit, now: SystemClock().wallTime()))
                }
            }
        }
        writer.done()
        if let refusal = turn.refusal {
            report.note(refusal.message)
            return TurnResult(result: turn.result, number: nil, exitCode: ExitCode(refusal.kind).rawValue)
        }
        write(turn.result, live: live, lastChar: writer.lastChar)
        // After the answer is out: a slow or full disk never delays or loses it.
        session.commit(&turn)
        if let e = turn.unsaved, !saidUnsaved {
            saidUnsaved = true
            report.note("warning: this turn was not saved in the state database (\(e)); the answer is unaffected")
        }
        if let failure = turn.result.failure, failure.kind != .interrupted {
            report.note(failure.message + (verbose ? "" : "\nllmr: run with -v to see every attempt"))
            if let text = turn.result.invalidText { report.invalid(text) }
        }
        return TurnResult(result: turn.result, number: turn.number, exitCode: report.exitCode(for: turn.result))
    }

    /// Writes the answer as it should appear once the router is done.
    private func write(_ result: RouteResult, live: Bool, lastChar: Character?) {
        Output.endAnswer()
        if result.failure?.kind == .interrupted {
            if lastChar != nil, lastChar != "\n" { Output.stdout("\n") }
            report.dim("[interrupted: this answer is not part of the conversation]")
            return
        }
        if report.json { return }
        // A cache hit was never streamed: it is written whole, live or not.
        if result.failure == nil, !live || result.cachedAt != nil, let pieces = result.pieces {
            for piece in pieces { Output.answer(piece) }
            Output.endAnswer()
            if let last = pieces.last(where: { !$0.isEmpty }), !last.hasSuffix("\n") { Output.stdout("\n") }
        } else if live, lastChar != nil, lastChar != "\n" {
            Output.stdout("\n")
        }
    }

    /// The footer after an answer: who answered, the failover path, time to
    /// first token, tokens, the turn's cost and the session's.
    func footer(_ r: RouteResult) -> String {
        var parts: [String] = []
        if let m = r.model { parts.append(m) }
        let failed = r.attempts.filter { $0.outcome != .ok && $0.outcome != .hedgeLost }
        if !failed.isEmpty { parts.append("after " + failed.map { "\($0.model) \($0.outcome)" }.joined(separator: ", ")) }
        if let t = r.ttftMs { parts.append("TTFT \(t) ms") }
        if let u = r.usage { parts.append("\(u.inputTokens)→\(u.outputTokens) tokens\(u.estimated ? " (est.)" : "")") }
        parts.append(r.costUSD.map { "$" + NumberText.sixDecimals($0) } ?? "cost unknown")
        parts.append("session $" + NumberText.sixDecimals(session.spentBefore + session.spent))
        return Self.join(parts, width: report.width)
    }

    /// Parts joined by " · ", on a terminal broken between parts (never inside one) to fit `width`.
    static func join(_ parts: [String], width: Int?) -> String {
        guard let width else { return parts.joined(separator: " · ") }
        var lines: [String] = []
        var line = ""
        for part in parts {
            let candidate = line.isEmpty ? part : line + " · " + part
            if !line.isEmpty, TerminalText.width(candidate) > width {
                lines.append(line)
                line = part
            } else {
                line = candidate
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n")
    }

    /// The `llmr.chat/1` object for a turn: `llmr.ask/1`'s fields, the session and the turn.
    func json(_ turn: TurnResult) -> JSONValue {
        guard case .object(var members) = Report.json(turn.result) else { return .null }
        members[0] = ("schema", "llmr.chat/1")
        members.append(("session", .string(name)))
        members.append(("turn", turn.number.map { .number(Double($0)) } ?? .null))
        return .object(members)
    }
}
