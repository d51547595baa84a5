import Engine
import RouterCore

/// What `ask` and `route` read from their options, prompt and stdin.
struct RequestInput {
    var request: ChatRequest
    var seed: UInt64?
    var selection: RouteSelection
    var maxCost: Double?
    /// `--tag`: what budgets scoped by tag count this request as (else `LLMR_TAG`).
    var tag: String?

    /// The options `ask` and `route` share, in help order.
    static let sharedOptions: [OptionSpec] = [
        OptionSpec("model", short: "m", value: "MODEL", help: "a catalog model or provider/model-id; bypasses routing"),
        OptionSpec("route", short: "r", value: "NAME", help: "the route to use (default: 'default')"),
        OptionSpec("task", short: "t", value: "NAME", help: "pick the route for a task (chat, code, reasoning, …)"),
        OptionSpec("system", short: "s", value: "TEXT", help: "a system prompt"),
        OptionSpec("max-tokens", value: "N", help: "the most tokens the answer may have"),
        OptionSpec("temperature", value: "X", help: "sampling temperature, 0 to 2"),
        OptionSpec("max-cost", value: "USD", help: "refuse candidates whose worst case would take the request past this"),
        OptionSpec("seed", value: "N", help: "seed for weighted picks and jitter (reproducible plans)"),
        OptionSpec("tag", value: "TAG", help: "count this request under budgets scoped by this tag (default: $LLMR_TAG)"),
        OptionSpec("no-stdin", help: "never read stdin"),
        .config,
        .color,
    ]

    /// The largest stdin llmr reads: past this it refuses rather than truncate.
    static let stdinLimit = 64 << 20

    /// Reads the shared options; a missing prompt is an error only when `promptRequired`.
    /// `withPrompt: false` (chat) reads the options only: no words, no stdin.
    init(_ parsed: ParsedArguments, terminal: Terminal, promptRequired: Bool, withPrompt: Bool = true) throws(Problem) {
        var request = ChatRequest(messages: [])
        do {
            request.maxTokens = try parsed.int("max-tokens", ConfigLimits.maxTokens)
            request.temperature = try parsed.number("temperature", 0...2, example: "a number")
            maxCost = try parsed.number("max-cost", ConfigLimits.maxCost, example: "an amount in USD")
        } catch {
            throw .usage(error.message)
        }
        if let v = parsed.value("seed") {
            guard let s = UInt64(v) else { throw .usage("--seed needs a whole number from 0 to \(UInt64.max), not '\(v)'") }
            seed = s
        }
        if let t = parsed.value("tag") { tag = try Self.tag(t) }
        let chosen = ["model", "route", "task"].filter { parsed.value($0) != nil }
        if chosen.count > 1 {
            throw .usage("use only one of --model, --route and --task (got --\(chosen.joined(separator: " and --")))")
        }
        if let m = parsed.value("model") { selection = .model(m) }
        else if let r = parsed.value("route") { selection = .route(r) }
        else if let t = parsed.value("task") { selection = .task(t) }
        else { selection = .automatic }

        if let s = parsed.value("schema") { request.schema = try SchemaInput.load(s) }
        if let system = parsed.value("system") { request.messages.append(Message(role: .system, content: system)) }
        if withPrompt {
            request.messages.append(Message(role: .user, content: try Self.prompt(parsed, terminal: terminal, required: promptRequired)))
        }
        self.request = request
    }

    /// A tag: 1 to 64 letters, digits and `- _ . : @ + /`.
    static func tag(_ t: String) throws(Problem) -> String {
        let allowed = t.unicodeScalars.allSatisfy { s in
            (s.value < 128 && (s.properties.isAlphabetic || ("0"..."9").contains(s))) || "-_.:@+/".unicodeScalars.contains(s)
        }
        guard !t.isEmpty, t.unicodeScalars.count <= 64, allowed else {
            throw .usage("--tag takes 1 to 64 letters, digits and - _ . : @ + /, not '\(TerminalText.printable(t))'")
        }
        return t
    }

    /// The context with this request's tag, when one was given.
    func tagged(_ context: RoutingContext) -> RoutingContext {
        var c = context
        if let tag { c.tag = tag }
        return c
    }

    /// The prompt: the words, then (when stdin is not a terminal) a blank line and stdin.
    static func prompt(_ parsed: ParsedArguments, terminal: Terminal, required: Bool) throws(Problem) -> String {
        let words = parsed.positionals
        let stdinOnly = words == ["-"]
        var prompt = stdinOnly ? "" : words.joined(separator: " ")
        // A closed stdin (`<&-`) is no stdin at all.
        let readStdin = !parsed.has("no-stdin") && !terminal.stdinIsTTY && !StandardStreams.stdinWasClosed
        if stdinOnly, parsed.has("no-stdin") { throw .usage("'-' asks for stdin, but --no-stdin forbids reading it") }
        if stdinOnly, StandardStreams.stdinWasClosed { throw .usage("'-' asks for stdin, but stdin is closed") }
        if stdinOnly, terminal.stdinIsTTY { throw .usage("'-' asks for stdin, but stdin is a terminal; pipe text in") }
        if readStdin {
            let text = try Self.readStandardInput()
            if !text.isEmpty { prompt = prompt.isEmpty ? text : prompt + "\n\n" + text }
        }
        if prompt.trimmingWhitespace().isEmpty, required {
            if words.isEmpty, !readStdin { throw Problem(.noPrompt, "no prompt") }
            throw .usage("the prompt is empty: give words, or pipe text on stdin")
        }
        return prompt
    }

    /// All of stdin as text: refused, never cut, when it is too large, not UTF-8, or binary.
    static func readStandardInput() throws(Problem) -> String {
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

extension RequestInput {
    /// A chat session with these options (the route or model, max tokens,
    /// temperature, budget, seed, system prompt).
    /// The cache options `ask` and `chat` share.
    static let schemaOption = OptionSpec("schema", value: "FILE|JSON",
                                         help: "answer with JSON that validates against this JSON Schema, else fail (exit 69)")

    static let cacheOptions = [
        OptionSpec("cache", value: "MODE", help: "the response cache: off, read-write, read-only or write-only (default: $LLMR_CACHE, cache.mode)"),
        OptionSpec("no-cache", help: "neither read nor write the response cache"),
    ]

    func chatSession(_ context: RoutingContext) -> ChatSession {
        let session = ChatSession(context: tagged(context), selection: selection, maxTokens: request.maxTokens, temperature: request.temperature,
                                  maxCost: maxCost, seed: seed, system: request.systemPrompt)
        session.schema = request.schema
        return session
    }

    /// The request prepared for routing with these options.
    /// The plan alone, and the generator that drew it (the router comes after a cache lookup).
    func plan(_ context: RoutingContext) throws(Problem) -> (Plan, RequestRandom) {
        var rng = RequestRandom(seed: seed)
        return (try tagged(context).plan(request, selection: selection, using: &rng), rng)
    }

    func routing(_ context: RoutingContext) throws(Problem) -> Routing {
        try Routing.prepare(request, selection: selection, seed: seed, maxCost: maxCost, context: tagged(context))
    }
}
