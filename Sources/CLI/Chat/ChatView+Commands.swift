import Engine
import RouterCore

/// The REPL's `/` commands (`.` works too), for the REPL and piped stdin alike.
extension ChatView {
    /// What a command leaves the REPL to do.
    enum CommandResult: Equatable {
        case handled
        /// `/exit`, `/quit`.
        case exit
        /// `/retry`: send this again, optionally on another model.
        case retry(String, RouteSelection?)
        /// A mistake; the text says what (piped input stops with exit 64).
        case failed(String)
    }

    static let commands: [(name: String, usage: String, help: String)] = [
        ("help", "/help", "this list"),
        ("model", "/model NAME", "answer with one model (a catalog model or provider/model-id)"),
        ("route", "/route NAME", "answer through a route"),
        ("system", "/system TEXT", "set the system prompt (empty: none)"),
        ("set", "/set temperature|max-tokens VALUE", "change an option for the next turns"),
        ("file", "/file PATH", "send a text file's contents with the next message"),
        ("retry", "/retry [MODEL]", "ask the last question again, optionally on another model"),
        ("clear", "/clear", "start a new conversation"),
        ("trim", "/trim", "drop the oldest turn, keeping the system prompt"),
        ("sessions", "/sessions", "list the saved sessions"),
        ("resume", "/resume NAME", "continue a saved session"),
        ("rename", "/rename NAME", "rename this session"),
        ("cost", "/cost", "what this session cost, by provider"),
        ("exit", "/exit", "end the session (also /quit, Ctrl-D)"),
    ]

    /// Whether `line` is a command rather than a message.
    static func isCommand(_ line: String) -> Bool {
        guard let first = line.first, first == "/" || first == "." else { return false }
        let word = line.dropFirst().prefix { !$0.isWhitespace }
        return !word.isEmpty && word.allSatisfy { $0.isLetter || $0 == "-" }
    }

    /// Runs a command line (`/name args`); what it says goes to stderr.
    func command(_ line: String) -> CommandResult {
        let body = line.dropFirst()
        let word = String(body.prefix { !$0.isWhitespace })
        let argument = body.dropFirst(word.count).trimmingWhitespace()
        switch word {
        case "help":
            let width = Self.commands.map(\.usage.count).max() ?? 0
            Output.stderr(Self.commands.map { "  \($0.usage.padding(to: width))  \($0.help)\n" }.joined()
                          + "  \"\"\" opens and closes a message of many lines; a line ending in \\ continues.\n")
        case "model":
            guard !argument.isEmpty else { return .failed("/model needs a model: a catalog model or provider/model-id") }
            if let problem = session.check(.model(argument)) { return .failed(problem) }
            session.selection = .model(argument)
            say("answering with \(argument)")
        case "route":
            guard !argument.isEmpty else { return .failed("/route needs a route; routes: \(context.config.routes.map(\.name).joined(separator: ", "))") }
            if let problem = session.check(.route(argument)) { return .failed(problem) }
            session.selection = .route(argument)
            say("answering through route \(argument)")
        case "system":
            session.conversation.system = argument.isEmpty ? nil : argument
            say(argument.isEmpty ? "no system prompt" : "system prompt set")
        case "set":
            return set(argument)
        case "file":
            return attach(argument)
        case "retry":
            guard session.lastUser != nil else { return .failed("nothing to retry yet") }
            var only: RouteSelection?
            if !argument.isEmpty {
                if let problem = session.check(.model(argument)) { return .failed(problem) }
                only = .model(argument)
            }
            // The answer being retried leaves the conversation, and the saved session.
            guard let last = session.takeBackLast() else { return .failed("nothing to retry yet") }
            return .retry(last, only)
        case "clear":
            session.clear()
            say("a new conversation: \(shownName)")
        case "trim":
            guard !session.conversation.turns.isEmpty else { return .failed("there is no turn to drop") }
            session.conversation.turns.removeFirst()
            say("dropped the oldest turn; \(session.conversation.turns.count) left")
        case "sessions":
            guard let store else { return .failed("no state database, so no saved sessions") }
            let list = (try? store.sessions()) ?? []
            Output.stderr(list.isEmpty ? "no saved sessions\n" : SessionList.table(list, current: name))
        case "resume":
            guard !argument.isEmpty else { return .failed("/resume needs a session name (/sessions lists them)") }
            do {
                guard try session.resume(argument) else {
                    let names = ((try? store?.sessions()) ?? []).map(\.name)
                    return .failed("no session '\(argument)'\(Suggest.hint(argument, in: names))")
                }
            } catch {
                return .failed("cannot read the session: \(error)")
            }
            let turns = session.conversation.turns.count
            say("resumed \(shownName): \(turns) turn\(turns == 1 ? "" : "s")")
            showRecent()
        case "rename":
            return rename(argument)
        case "cost":
            let spentBefore = session.spentBefore
            // Providers that cost nothing (local servers, unpriced models) are not listed.
            var lines = session.spentByProvider.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "  \($0.key.padding(to: 16)) $\(NumberText.sixDecimals($0.value))\n" }
            if spentBefore > 0 { lines.insert("  \("earlier runs".padding(to: 16)) $\(NumberText.sixDecimals(spentBefore))\n", at: 0) }
            Output.stderr("session \(shownName): $\(NumberText.sixDecimals(spentBefore + session.spent))\n" + lines.joined())
        case "exit", "quit":
            return .exit
        default:
            return .failed("unknown command '/\(word)'\(Suggest.hint("/" + word, in: (Self.commands.map(\.name) + ["quit"]).map { "/" + $0 })); /help lists them")
        }
        return .handled
    }

    /// Shows the last few turns of a resumed conversation.
    func showRecent(_ count: Int = 3) {
        for t in session.conversation.turns.suffix(count) {
            Output.stderr(report.faint("you: ") + Self.excerpt(t.user) + "\n" + report.faint("llm: ") + Self.excerpt(t.assistant) + "\n")
        }
    }

    /// One line of `text`, at most 200 characters, with no control sequence (it is a model's text).
    static func excerpt(_ text: String) -> String {
        let one = TerminalText.printable(text.split(whereSeparator: \.isNewline).joined(separator: " "))
        return one.count > 200 ? String(one.prefix(200)) + "…" : one
    }

    private func say(_ message: String) { report.dim(message) }

    private func set(_ argument: String) -> CommandResult {
        let words = argument.split(separator: " ", maxSplits: 1).map(String.init)
        guard words.count == 2 else { return .failed("/set takes temperature X or max-tokens N") }
        switch words[0] {
        case "temperature":
            guard let t = Double(words[1]), (0...2).contains(t) else { return .failed("temperature is a number from 0 to 2, not '\(words[1])'") }
            session.temperature = t
        case "max-tokens", "max_tokens":
            guard let n = Int(words[1]), ConfigLimits.maxTokens.contains(n) else {
                return .failed("max-tokens is a whole number from 1 to \(ConfigLimits.maxTokens.upperBound), not '\(words[1])'")
            }
            session.maxTokens = n
        default:
            return .failed("/set knows temperature and max-tokens, not '\(words[0])'\(Suggest.hint(words[0], in: ["temperature", "max-tokens"]))")
        }
        say("\(words[0]) \(words[1])")
        return .handled
    }

    /// The largest file `/file` attaches.
    static let fileLimit = 4 << 20

    private func attach(_ path: String) -> CommandResult {
        guard !path.isEmpty else { return .failed("/file needs a path") }
        let expanded = path.hasPrefix("~/") ? (terminal.environment["HOME"] ?? "") + path.dropFirst() : path
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path: expanded, regularOnly: true) } catch { return .failed("cannot read \(path): \(error.message)") }
        guard bytes.count <= Self.fileLimit else { return .failed("\(path) is larger than \(Self.fileLimit >> 20) MiB; llmr attaches text files only") }
        guard let text = String(validating: bytes, as: UTF8.self), !text.contains("\0") else {
            return .failed("\(path) is not UTF-8 text (it looks binary); llmr attaches text files only")
        }
        session.attachment = (path, text)
        say("\(path) (\(bytes.count) bytes) goes with your next message")
        return .handled
    }

    private func rename(_ new: String) -> CommandResult {
        guard !new.isEmpty else { return .failed("/rename needs a name") }
        if let problem = SessionName.problem(new) { return .failed(problem) }
        if let problem = session.rename(to: new) { return .failed(problem) }
        say("this session is now \(shownName)")
        return .handled
    }
}

/// `chat --list` and `/sessions`.
enum SessionList {
    static func table(_ list: [SessionSummary], current: String? = nil) -> String {
        var cells = [["session", "turns", "last used", "cost"]]
        for s in list {
            cells.append([TerminalText.printable(s.name) + (s.name == current ? " *" : ""), "\(s.turns)", Timestamp.iso(s.lastUsed), "$" + NumberText.sixDecimals(s.costUSD)])
        }
        return Table.render(cells)
    }

    static func json(_ list: [SessionSummary]) -> JSONValue {
        .object([("schema", "llmr.sessions/1"), ("sessions", .array(list.map {
            .object([("name", .string($0.name)), ("turns", .number(Double($0.turns))), ("last_used", .string(Timestamp.iso($0.lastUsed))),
                     ("cost_usd", .number(($0.costUSD * 1e11).rounded() / 1e11))])
        }))])
    }
}
