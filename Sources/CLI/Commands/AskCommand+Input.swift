import RouterCore

/// A problem with what the user gave `ask`, before anything is sent.
struct InputProblem: Error {
    var code: ExitCode
    /// The `--json` error kind: usage, input, or no-prompt (a bare `llmr ask`).
    var kind: String
    var message: String

    static func usage(_ message: String) -> InputProblem { InputProblem(code: .usage, kind: "usage", message: message) }
    static func data(_ message: String) -> InputProblem { InputProblem(code: .dataError, kind: "input", message: message) }
}

extension AskCommand {
    /// The request, the seed and the route selection the options and prompt describe.
    func options(_ parsed: ParsedArguments) throws(InputProblem) -> (ChatRequest, UInt64?, RouteSelection) {
        var request = ChatRequest(messages: [])
        if let v = parsed.value("max-tokens") {
            guard let n = Int(v), n > 0 else { throw .usage("--max-tokens needs a whole number above 0, not '\(v)'") }
            request.maxTokens = n
        }
        if let v = parsed.value("temperature") {
            guard let t = Double(v), t >= 0, t <= 2 else { throw .usage("--temperature needs a number from 0 to 2, not '\(v)'") }
            request.temperature = t
        }
        var seed: UInt64?
        if let v = parsed.value("seed") {
            guard let s = UInt64(v) else { throw .usage("--seed needs a whole number, not '\(v)'") }
            seed = s
        }
        let chosen = ["model", "route", "task"].filter { parsed.value($0) != nil }
        if chosen.count > 1 {
            throw .usage("use only one of --model, --route and --task (got --\(chosen.joined(separator: " and --")))")
        }
        let selection: RouteSelection
        if let m = parsed.value("model") { selection = .model(m) }
        else if let r = parsed.value("route") { selection = .route(r) }
        else if let t = parsed.value("task") { selection = .task(t) }
        else { selection = .automatic }

        if let system = parsed.value("system") { request.messages.append(Message(role: .system, content: system)) }
        request.messages.append(Message(role: .user, content: try prompt(parsed)))
        return (request, seed, selection)
    }

    /// The prompt: the words, then (when stdin is not a terminal) a blank line and stdin.
    func prompt(_ parsed: ParsedArguments) throws(InputProblem) -> String {
        let words = parsed.positionals
        let stdinOnly = words == ["-"]
        var prompt = stdinOnly ? "" : words.joined(separator: " ")
        let readStdin = !parsed.has("no-stdin") && !terminal.stdinIsTTY
        if stdinOnly, parsed.has("no-stdin") { throw .usage("'-' asks for stdin, but --no-stdin forbids reading it") }
        if stdinOnly, terminal.stdinIsTTY { throw .usage("'-' asks for stdin, but stdin is a terminal; pipe text in") }
        if readStdin {
            let text = try readStandardInput()
            if !text.isEmpty { prompt = prompt.isEmpty ? text : prompt + "\n\n" + text }
        }
        if prompt.trimmingWhitespace().isEmpty {
            if words.isEmpty, !readStdin { throw InputProblem(code: .usage, kind: "no-prompt", message: "no prompt") }
            throw .usage("the prompt is empty: give words, or pipe text on stdin")
        }
        return prompt
    }

    /// All of stdin as text: refused, never cut, when it is too large, not UTF-8, or binary.
    func readStandardInput() throws(InputProblem) -> String {
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(fd: 0, limit: Self.stdinLimit) } catch {
            throw .data("cannot read stdin: \(error.message); llmr reads at most \(Self.stdinLimit >> 20) MiB")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .data("stdin is not UTF-8 text (invalid byte at offset \(Self.firstInvalidUTF8(bytes))); llmr sends text only")
        }
        if text.contains("\0") { throw .data("stdin holds NUL bytes, so it looks binary; llmr sends text only") }
        return text
    }

    /// The offset of the first byte that does not start or continue a valid UTF-8 character.
    static func firstInvalidUTF8(_ b: [UInt8]) -> Int {
        var i = 0
        while i < b.count {
            let c = b[i]
            let extra: Int
            switch c {
            case 0x00..<0x80: i += 1; continue
            case 0xC2...0xDF: extra = 1
            case 0xE0...0xEF: extra = 2
            case 0xF0...0xF4: extra = 3
            default: return i
            }
            guard i + extra < b.count, String(validating: b[i...(i + extra)], as: UTF8.self) != nil else { return i }
            i += extra + 1
        }
        return b.count
    }
}
