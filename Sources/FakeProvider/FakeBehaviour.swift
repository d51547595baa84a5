import RouterCore

/// One scripted reply of the fake provider: an answer, an error, or a fault.
public struct FakeBehaviour: Sendable, Equatable {
    /// The answer text; split into one stream chunk per word.
    public var text = "Hello from the fake provider."
    /// The stream's chunks exactly as given (they join into the answer), instead of one a word.
    public var chunks: [String]?
    /// Reply with the last user message instead of `text`.
    public var echo = false
    /// Send `text` this many times over (long answers for benchmarks).
    public var repeatCount = 1
    public var status = 200
    /// Sent as the `Retry-After` header.
    public var retryAfter: String?
    /// Extra response headers, on answers and failures alike (rate-limit headers, say).
    public var headers: [String: String] = [:]
    /// A raw error body (default: an OpenAI-style JSON error).
    public var body: String?
    public var contentType: String?
    /// Wait before the response head.
    public var delayMs = 0
    /// Wait after the head, before the first chunk.
    public var firstTokenDelayMs = 0
    /// Wait between chunks.
    public var chunkDelayMs = 0
    /// After this many chunks, go silent for `stallMs`.
    public var stallAfter: Int?
    public var stallMs = 30_000
    /// After this many chunks, end the body cleanly but without `[DONE]`.
    public var truncateAfter: Int?
    /// After this many chunks, close the connection mid-body.
    public var disconnectAfter: Int?
    /// Close the connection without answering at all.
    public var disconnect = false
    /// After this many chunks, send an event that is not JSON.
    public var malformedAfter: Int?
    /// After this many chunks, send an error event inside the 200 stream.
    public var errorEventAfter: Int?
    /// Token counts to report; by default estimated from the request and the text.
    public var inputTokens: Int?
    public var outputTokens: Int?
    /// Answer 401 unless the request carries `Authorization: Bearer <requireKey>`.
    public var requireKey: String?
    /// Answer 401 with the key the request carried quoted in the error message, as some providers do.
    public var echoKey = false
    /// The finish reason to send, verbatim (`length`, `max_tokens`, `SAFETY`); nil: the API's natural end.
    public var finish: String?
    /// The usage object to send, verbatim, in the API's place for it; `.null` sends no usage at all.
    public var usage: JSONValue?
    /// Start the stream with a UTF-8 byte order mark.
    public var bom = false
    /// Raw bytes sent after the end marker, before the body ends.
    public var afterEnd: String?
    /// After the end marker, keep the connection open this long before ending the body.
    public var holdOpenMs = 0
    /// Report as many output tokens as the request asked for at most (`max_tokens`,
    /// `max_completion_tokens`, `maxOutputTokens`): a bill at the worst case.
    public var billMaxTokens = false
    /// Gemini only: the token counts in one more event after the finishReason one (as gema sends them).
    public var usageAfterFinish = false
    /// Answer a request that ends in a partial answer with the whole text again, as a
    /// server that restarts instead of continuing does.
    public var ignorePrefill = false
    /// Answer the model list with 404 `{"detail":"Not Found"}`, as servers without one do.
    public var noModelList = false

    public init() {}

    public static func answer(_ text: String) -> FakeBehaviour {
        var b = FakeBehaviour()
        b.text = text
        return b
    }

    /// Answers with the last user message.
    public static func echo() -> FakeBehaviour {
        var b = FakeBehaviour()
        b.echo = true
        return b
    }

    public static func status(_ status: Int, retryAfter: String? = nil, body: String? = nil) -> FakeBehaviour {
        var b = FakeBehaviour()
        b.status = status
        b.retryAfter = retryAfter
        b.body = body
        return b
    }

    /// Reads a behaviour from its JSON form: the same keys, in snake_case.
    public init(json: JSONValue) throws(FakeScriptError) {
        guard case .object(let members) = json else { throw FakeScriptError(message: "a behaviour must be a JSON object") }
        for (key, value) in members {
            func int() throws(FakeScriptError) -> Int {
                guard let v = value.int else { throw FakeScriptError(message: "'\(key)' must be a whole number") }
                return v
            }
            func string() throws(FakeScriptError) -> String {
                if let s = value.string { return s }
                if let n = value.int { return String(n) }
                throw FakeScriptError(message: "'\(key)' must be text")
            }
            switch key {
            case "text": text = try string()
            case "chunks":
                guard let list = value.array?.compactMap(\.string), list.count == value.array?.count, !list.isEmpty else {
                    throw FakeScriptError(message: "'chunks' must be a list of text pieces")
                }
                chunks = list
                text = list.joined()
            case "echo": echo = value.bool ?? false
            case "repeat": repeatCount = max(1, try int())
            case "status": status = try int()
            case "retry_after": retryAfter = try string()
            case "headers":
                guard case .object(let members) = value else { throw FakeScriptError(message: "'headers' takes an object of header names and values") }
                for (k, v) in members { if let s = v.string { headers[k] = s } }
            case "body": body = try string()
            case "content_type": contentType = try string()
            case "delay_ms": delayMs = try int()
            case "first_token_delay_ms": firstTokenDelayMs = try int()
            case "chunk_delay_ms": chunkDelayMs = try int()
            case "stall_after": stallAfter = try int()
            case "stall_ms": stallMs = try int()
            case "truncate_after": truncateAfter = try int()
            case "disconnect_after": disconnectAfter = try int()
            case "disconnect": disconnect = value.bool ?? false
            case "malformed_after": malformedAfter = try int()
            case "error_event_after": errorEventAfter = try int()
            case "input_tokens": inputTokens = try int()
            case "output_tokens": outputTokens = try int()
            case "require_key": requireKey = try string()
            case "echo_key": echoKey = value.bool ?? false
            case "finish": finish = try string()
            case "usage": usage = value
            case "bom": bom = value.bool ?? false
            case "after_end": afterEnd = try string()
            case "hold_open_ms": holdOpenMs = try int()
            case "usage_after_finish": usageAfterFinish = value.bool ?? false
            case "bill_max_tokens": billMaxTokens = value.bool ?? false
            case "ignore_prefill": ignorePrefill = value.bool ?? false
            case "no_model_list": noModelList = value.bool ?? false
            default: throw FakeScriptError(message: "unknown behaviour key '\(key)'")
            }
        }
    }
}

/// What is wrong with a fake provider script.
public struct FakeScriptError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Replies per fake provider (the first path segment of the URL). Each provider
/// plays its list in order; the last entry repeats.
public struct FakeScript: Sendable, Equatable {
    public var providers: [String: [FakeBehaviour]]
    /// Providers whose list starts over after its last entry instead of repeating it.
    public var cycling: Set<String> = []
    /// What a provider the script does not name gets; nil answers 404.
    public var unscripted: FakeBehaviour?

    public init(_ providers: [String: [FakeBehaviour]] = [:], unscripted: FakeBehaviour? = nil) {
        self.providers = providers
        self.unscripted = unscripted
    }

    /// `{"providers": {"name": [behaviour, …] or behaviour or {"cycle": [behaviour, …]}}, "default": behaviour}`
    public init(json text: String) throws(FakeScriptError) {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { throw FakeScriptError(message: "the script is not valid JSON: \(error)") }
        guard case .object(let members)? = json["providers"] else {
            throw FakeScriptError(message: "the script needs a 'providers' object")
        }
        var providers: [String: [FakeBehaviour]] = [:]
        for (name, value) in members {
            var list = value.array ?? [value]
            if let cycle = value["cycle"]?.array {
                list = cycle
                cycling.insert(name)
            }
            providers[name] = try list.map { (item) throws(FakeScriptError) in try FakeBehaviour(json: item) }
        }
        self.providers = providers
        if let d = json["default"] { unscripted = try FakeBehaviour(json: d) }
    }
}
