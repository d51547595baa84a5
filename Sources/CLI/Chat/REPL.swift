internal import CEditLine
import Engine
import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The chat REPL on libedit: line editing, history in a file, Tab completion,
/// bracketed paste (a pasted block is one message), and Ctrl-C that stops the
/// answer being written, or clears the line at the prompt, but never ends llmr.
/// The only file that imports `CEditLine`.
struct REPL {
    let session: ChatView
    let terminal: Terminal

    /// Typed where a pasted block has a line break, so that it stays one line
    /// to edit and one history entry; turned back into line breaks on the way out.
    static let newlineMark: Character = "⏎"

    func run() async -> Int32 {
        guard llmr_editline_load() == 0 else {
            let why = String(cString: llmr_editline_error())
            return session.report.fail(Problem(.editline, "the chat REPL needs libedit (Debian: libedit2), which did not load (\(why)); pipe the conversation in instead"))
        }
        var history = HistoryFile(terminal.environment, config: session.context.config.chat)
        if let moved = history.setAsideIfForeign() {
            session.report.note(moved)
            // It could not be moved: saving would wipe it.
            if history.path.map(FileIO.exists) == true { history.path = nil }
        }
        let editor = LineEditor(history: history)
        LineEditor.completer = Completer(session: session)
        defer { editor.close() }
        Output.stdout("\u{1B}[?2004h") // bracketed paste on
        Interrupts.onExit(write: "\u{1B}[?2004l")
        defer {
            Interrupts.onExit(write: nil)
            Output.stdout("\u{1B}[?2004l")
        }
        session.report.dim("llmr chat — \(session.shownName); /help lists the commands, Ctrl-D ends")
        var input = ChatInput()
        while true {
            // At the prompt, Ctrl-C clears the line being typed.
            Interrupts.onSignal(.interruptsOnly) { editor.interrupt() }
            let line = editor.read(prompt: input.isOpen ? "… " : "\(session.session.target)> ")
            // SIGTERM, SIGHUP or SIGQUIT: the session ends here, the terminal put back as it was.
            if let code = Interrupts.exitCode { return code }
            guard let line else {
                if let open = input.finish(), !open.trimmingWhitespace().isEmpty { session.report.dim("(the unfinished message was not sent)") }
                Output.stdout("\n")
                return ExitCode.ok.rawValue
            }
            let typed = String(line.map { $0 == Self.newlineMark ? "\n" : $0 })
            guard let entry = input.feed(typed), !entry.trimmingWhitespace().isEmpty else { continue }
            editor.remember(String(entry.map { $0 == "\n" ? Self.newlineMark : $0 }))
            var text = entry
            var only: RouteSelection?
            if ChatView.isCommand(entry) {
                switch session.command(entry) {
                case .handled: continue
                case .exit: return ExitCode.ok.rawValue
                case .failed(let message):
                    session.report.note(message)
                    continue
                case .retry(let again, let model):
                    text = again
                    only = model
                }
            }
            await answer(text, only: only)
            if let code = Interrupts.exitCode { return code }
        }
    }

    /// One turn, streamed; Ctrl-C cancels it (its transfer closes at once).
    private func answer(_ text: String, only: RouteSelection?) async {
        let session = self.session
        nonisolated(unsafe) let box = session
        let turn = Task { await box.send(text, live: true, only: only) }
        Interrupts.onSignal(.interruptsOnly) { turn.cancel() }
        let result = await turn.value
        Interrupts.onSignal(.interruptsOnly, nil)
        if result.result.failure == nil { session.report.dim(session.footer(result.result)) }
    }
}

/// What Tab completes: `/`-commands, then per command its argument.
struct Completer: Sendable {
    let models: [String]
    let routes: [String]
    let sessions: @Sendable () -> [String]

    init(session: ChatView) {
        let config = session.context.config
        models = config.models.map(\.name) + config.models.map { "\($0.provider)/\($0.id)" }
        routes = config.routes.map(\.name)
        let store = session.store
        sessions = { ((try? store?.sessions()) ?? []).map(\.name) }
    }

    /// The candidates for the word before the cursor, and that word.
    func candidates(_ before: String) -> (word: String, options: [String]) {
        guard before.hasPrefix("/") || before.hasPrefix(".") else { return ("", []) }
        guard let space = before.firstIndex(of: " ") else {
            return (before, ChatView.commands.map { String(before.prefix(1)) + $0.name }.filter { $0.hasPrefix(before) })
        }
        let command = before[before.index(after: before.startIndex)..<space]
        let word = String(before[before.index(after: space)...]).trimmingLeadingSpaces()
        let pool: [String]
        switch command {
        case "model", "retry": pool = models
        case "route": pool = routes
        case "resume", "rename": pool = sessions()
        case "file": return (word, Self.paths(word))
        case "set": pool = ["temperature", "max-tokens"]
        default: pool = []
        }
        return (word, pool.filter { $0.hasPrefix(word) }.sorted())
    }

    /// Files and directories (with a trailing /) that start with `word`.
    static func paths(_ word: String) -> [String] {
        let slash = word.lastIndex(of: "/")
        let dir = slash.map { String(word[...$0]) } ?? ""
        let prefix = slash.map { String(word[word.index(after: $0)...]) } ?? word
        guard let d = opendir(dir.isEmpty ? "." : dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let entry = readdir(d) {
            let (name, type) = Self.entry(UnsafeRawPointer(entry))
            guard name != ".", name != "..", name.hasPrefix(prefix), !name.hasPrefix(".") || prefix.hasPrefix(".") else { continue }
            out.append(dir + name + (type == UInt8(DT_DIR) ? "/" : ""))
        }
        return out.sorted()
    }

    /// A `readdir` record's name and type, read in place. glibc's records are
    /// only `d_reclen` bytes long: copying the declared 256-byte `d_name` field
    /// (what `entry.pointee.d_name` does) reads past a record at the end of its
    /// buffer, into a page that may not be mapped.
    static func entry(_ record: UnsafeRawPointer) -> (name: String, type: UInt8) {
        let nameAt = MemoryLayout<dirent>.offset(of: \dirent.d_name) ?? 19
        let length = Int(record.loadUnaligned(fromByteOffset: MemoryLayout<dirent>.offset(of: \dirent.d_reclen) ?? 16, as: UInt16.self))
        let type = record.load(fromByteOffset: MemoryLayout<dirent>.offset(of: \dirent.d_type) ?? 18, as: UInt8.self)
        let room = max(0, min(length, MemoryLayout<dirent>.size) - nameAt)
        let bytes = UnsafeBufferPointer(start: (record + nameAt).assumingMemoryBound(to: UInt8.self), count: room)
        return (String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self), type)
    }
}

extension String {
    func trimmingLeadingSpaces() -> String { String(drop { $0 == " " }) }
}

/// Where the REPL's history lives, how large it may grow, and whether it is kept.
struct HistoryFile {
    var path: String?
    var size: Int

    init(_ env: [String: String], config: ChatConfig) {
        size = config.historySize
        let off = env["LLMR_NOHISTORY"].map { !$0.isEmpty && $0 != "0" } ?? false
        guard config.history, !off else { return }
        if let x = env["XDG_STATE_HOME"], !x.isEmpty { path = x + "/llmr/history" }
        else if let home = env["HOME"], !home.isEmpty { path = home + "/.local/state/llmr/history" }
    }

    /// libedit's history files begin with this line; it rewrites any other file whole on its first save.
    static let signature = Array("_HiStOrY_V2_".utf8)

    /// A file at `path` that is not libedit's would be wiped by the first
    /// save: it is moved aside instead. Returns what to tell the user, if anything was moved.
    func setAsideIfForeign() -> String? {
        guard let path, let bytes = try? FileIO.read(path: path, regularOnly: true), !bytes.isEmpty,
              !bytes.starts(with: Self.signature) else { return nil }
        var aside = path + ".old"
        var n = 2
        while FileIO.exists(aside) {
            aside = path + ".old\(n)"
            n += 1
        }
        guard rename(path, aside) == 0 else {
            return "the history file \(path) is not in libedit's format and could not be moved aside "
                + "(\(String(cString: strerror(errno)))); history is not saved this session"
        }
        return "the history file \(path) was not in libedit's format; it was moved to \(aside) and a new one begun"
    }
}

/// libedit's `EditLine` and `History`, with llmr's own character reader.
final class LineEditor: @unchecked Sendable {
    private let el: OpaquePointer
    private let history: OpaquePointer
    private var event = HistEvent()
    private let file: HistoryFile
    /// A pipe the signal watcher writes to, to interrupt a read at the prompt.
    private var wake: [Int32] = [-1, -1]
    /// The prompt's bytes, alive while libedit may read them.
    private var prompt: UnsafeMutablePointer<CChar>?
    /// Characters read ahead of libedit (the rest of an escape sequence).
    private var pending: [wchar_t] = []
    private var pasting = false

    /// The editor libedit's callbacks act for (there is one at a time).
    nonisolated(unsafe) static var current: LineEditor?
    nonisolated(unsafe) static var completer: Completer?

    init(history file: HistoryFile) {
        self.file = file
        // libedit edits wide characters only in a UTF-8 locale; a terminal may come without one set.
        setlocale(LC_CTYPE, "")
        if String(cString: nl_langinfo(nl_item(CODESET))) != "UTF-8" { setlocale(LC_CTYPE, "C.UTF-8") }
        // libedit writes through its own FILE streams on the standard descriptors.
        el = llmr_el_init("llmr", fdopen(0, "r"), fdopen(1, "w"), fdopen(2, "w"))
        history = llmr_history_init()
        _ = Pipes.make(&wake)
        LineEditor.current = self
        _ = llmr_el_set_editor(el, "emacs")
        _ = llmr_el_set_prompt(el) { _ in LineEditor.current?.prompt }
        _ = llmr_history_setsize(history, &event, Int32(clamping: max(1, file.size)))
        _ = llmr_history_setunique(history, &event, 1)
        _ = llmr_el_set_history(el, history)
        _ = llmr_el_set_getcfn(el) { _, out in LineEditor.current?.readCharacter(out) ?? -1 }
        _ = llmr_el_add_function(el, "llmr-complete", "complete commands, models, routes, sessions and paths") { e, _ in
            LineEditor.current?.complete() ?? UInt8(CC_ERROR)
        }
        _ = llmr_el_bind(el, "^I", "llmr-complete")
        // Ctrl-R searches back through the history, as in a shell.
        _ = llmr_el_bind(el, "^R", "em-inc-search-prev")
        if let path = file.path, file.size > 0 { _ = llmr_history_load(history, &event, path) }
    }

    func close() {
        llmr_history_end(history)
        llmr_el_end(el)
        for fd in wake where fd >= 0 { Glibc.close(fd) }
        free(prompt)
        LineEditor.current = nil
    }

    /// One line; nil at Ctrl-D on an empty line (or the end of input).
    func read(prompt text: String) -> String? {
        free(prompt)
        prompt = strdup(text)
        var count: Int32 = 0
        guard let line = llmr_el_gets(el, &count), count > 0 else { return nil }
        var s = String(cString: line)
        if s.hasSuffix("\n") { s.removeLast() }
        return s
    }

    /// Keeps an entry in the history (Up recalls it) and in its file, saved at
    /// once. An entry that starts with a space is not kept, as in a shell;
    /// without a history file (LLMR_NOHISTORY) entries live for the session only.
    func remember(_ entry: String) {
        guard !entry.hasPrefix(" ") else { return }
        _ = llmr_history_enter(history, &event, entry)
        if let path = file.path, file.size > 0 {
            let dir = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
            _ = StatePath.makeDirectory(dir)
            _ = llmr_history_save(history, &event, path)
        }
    }

    /// Called from the signal watcher: the read at the prompt gives up its line.
    func interrupt() {
        var byte: UInt8 = 3
        _ = Glibc.write(wake[1], &byte, 1)
    }

    /// libedit's character source: stdin, or the wake pipe. Ctrl-C (as a
    /// signal or a byte) clears the line; a bracketed paste comes through with
    /// its line breaks as `REPL.newlineMark`.
    fileprivate func readCharacter(_ out: UnsafeMutablePointer<wchar_t>?) -> Int32 {
        while true {
            if !pending.isEmpty {
                out?.pointee = pending.removeFirst()
                return 1
            }
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: wake[0], events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return -1
            }
            if fds[1].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 16)
                _ = Glibc.read(wake[0], &drain, drain.count)
                return clearLine(out)
            }
            guard let c = nextScalar() else {
                // Nothing to read: a Ctrl-D that came while the terminal was still in
                // line mode (between an answer and the prompt) reads as an empty line,
                // and so does a terminal that went away. Either means Ctrl-D: end on an
                // empty line. (Returning 0 left libedit with a stray character, so that
                // every later Ctrl-D only rang the bell.)
                out?.pointee = 4
                return 1
            }
            switch c {
            case 0x03:
                return clearLine(out)
            case 0x1B:
                let rest = readAhead()
                if rest.starts(with: Array("[200~".utf8)) {
                    pasting = true
                    pending += rest.dropFirst(5).map { wchar_t($0) }
                    continue
                }
                if rest.starts(with: Array("[201~".utf8)) {
                    pasting = false
                    pending += rest.dropFirst(5).map { wchar_t($0) }
                    continue
                }
                pending += rest.map { wchar_t($0) }
                out?.pointee = wchar_t(c)
                return 1
            case 0x0A where pasting, 0x0D where pasting:
                // A pasted \r\n is one line break.
                if c == 0x0D, let next = peekByte(), next == 0x0A { _ = nextScalar() }
                out?.pointee = wchar_t(REPL.newlineMark.unicodeScalars.first!.value)
                return 1
            default:
                out?.pointee = wchar_t(c)
                return 1
            }
        }
    }

    /// ^U: libedit's emacs binding for killing the whole line.
    private func clearLine(_ out: UnsafeMutablePointer<wchar_t>?) -> Int32 {
        out?.pointee = 0x15
        return 1
    }

    private var lookahead: [UInt8] = []

    private func byte() -> UInt8? {
        if !lookahead.isEmpty { return lookahead.removeFirst() }
        var b: UInt8 = 0
        while true {
            let n = Glibc.read(0, &b, 1)
            if n == 1 { return b }
            if n < 0, errno == EINTR { continue }
            return nil
        }
    }

    private func peekByte() -> UInt8? {
        if let b = lookahead.first { return b }
        var p = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 20) > 0, let b = byte() else { return nil }
        lookahead.append(b)
        return b
    }

    /// The bytes that follow an escape within a few milliseconds (a key's or a paste's sequence).
    private func readAhead() -> [UInt8] {
        var out: [UInt8] = []
        while out.count < 6, let b = peekByte() {
            lookahead.removeFirst()
            out.append(b)
            if out.count >= 2, (0x40...0x7E).contains(b) { break }
        }
        return out
    }

    /// One Unicode scalar from stdin's UTF-8.
    private func nextScalar() -> UInt32? {
        guard let first = byte() else { return nil }
        let extra = first < 0x80 ? 0 : first < 0xE0 ? 1 : first < 0xF0 ? 2 : 3
        var bytes = [first]
        for _ in 0..<extra { if let b = byte() { bytes.append(b) } }
        return String(decoding: bytes, as: UTF8.self).unicodeScalars.first?.value
    }

    /// Tab: completes the word before the cursor, or lists the choices.
    fileprivate func complete() -> UInt8 {
        guard let info = llmr_el_line(el)?.pointee, let completer = LineEditor.completer else { return UInt8(CC_ERROR) }
        let count = info.cursor - info.buffer
        let before = String(decoding: UnsafeRawBufferPointer(start: info.buffer, count: count), as: UTF8.self)
        let (word, options) = completer.candidates(before)
        guard !options.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
        let common = options.dropFirst().reduce(options[0]) { String($0.commonPrefix(with: $1)) }
        if common.count > word.count {
            let rest = String(common.dropFirst(word.count)) + (options.count == 1 && !common.hasSuffix("/") ? " " : "")
            _ = llmr_el_insertstr(el, rest)
            return UInt8(CC_REFRESH)
        }
        // Listed in columns, as a shell lists them, fitted to the terminal.
        let width = Terminal.current().stderrColumns ?? 80
        Output.stderr("\n" + Table.grid(options, width: width))
        return UInt8(CC_REDISPLAY)
    }
}

private extension String {
    func commonPrefix(with other: String) -> Substring {
        var end = startIndex
        for (a, b) in zip(self, other) {
            guard a == b else { break }
            end = index(after: end)
        }
        return self[..<end]
    }
}
