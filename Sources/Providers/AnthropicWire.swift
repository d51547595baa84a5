import RouterCore

/// Anthropic's Messages API: `POST {base_url}/v1/messages` with `x-api-key`.
public struct AnthropicWire: WireFormat {
    /// The API version llmr speaks; sent as `anthropic-version`.
    public static let version = "2023-06-01"
    /// Anthropic requires `max_tokens`; this is sent when the user gives none.
    public static let defaultMaxTokens = 4096

    public init() {}

    public func makeRequest(_ request: ChatRequest, modelID: String, provider: ProviderConfig, key: String?, stream: Bool) -> HTTPRequest {
        var messages: [JSONValue] = []
        let turns = request.messages.filter { $0.role != .system }
        for (i, m) in turns.enumerated() {
            var content = m.content
            // A final assistant turn is a prefill the model continues; the API
            // refuses one that ends in white space, so it is trimmed (the router
            // drops the same white space from the start of the continuation).
            if i == turns.count - 1, m.role == .assistant { content = content.trimmingTrailingWhitespace() }
            messages.append(.object([("role", .string(m.role.rawValue)), ("content", .string(content))]))
        }
        var members: [(String, JSONValue)] = [
            ("model", .string(modelID)),
            ("max_tokens", .number(Double(request.maxTokens ?? Self.defaultMaxTokens))),
        ]
        if let system = request.systemPrompt { members.append(("system", .string(system))) }
        members.append(("messages", .array(messages)))
        if let t = request.temperature { members.append(("temperature", .number(min(t, 1)))) }
        if !request.stop.isEmpty { members.append(("stop_sequences", .array(request.stop.map { .string($0) }))) }
        if let schema = request.schema {
            if provider.structuredOutput == .tool {
                // A tool the model must call: its input is the answer (streamed as input_json_delta).
                members.append(("tools", .array([.object([
                    ("name", .string(schema.name)),
                    ("description", "Give the answer as this tool's input."),
                    ("input_schema", schema.document),
                ])])))
                members.append(("tool_choice", .object([("type", "tool"), ("name", .string(schema.name))])))
            } else {
                members.append(("output_config", .object([("format", .object([("type", "json_schema"), ("schema", schema.document)]))])))
            }
        }
        if stream { members.append(("stream", true)) }
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"),
            ("Accept", stream ? "text/event-stream" : "application/json"),
            ("anthropic-version", Self.version),
        ]
        if let key { headers.append(("x-api-key", key)) }
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) { headers.append((name, value)) }
        return HTTPRequest(url: provider.baseURL + "/v1/messages", headers: headers,
                           body: JSONValue.object(members).bytes(), timeouts: provider.timeouts)
    }

    public func canContinue(_ provider: ProviderConfig) -> Bool { true }

    public func probeRequest(provider: ProviderConfig, key: String?) -> HTTPRequest {
        var headers: [(String, String)] = [("Accept", "application/json"), ("anthropic-version", Self.version)]
        if let key { headers.append(("x-api-key", key)) }
        return HTTPRequest(method: "GET", url: provider.baseURL + "/v1/models", headers: headers, body: [], timeouts: provider.timeouts)
    }

    public func makeStreamDecoder() -> any StreamDecoder { SSEStreamDecoder(AnthropicEventReader()) }

    public func decodeWhole(_ body: [UInt8]) -> Result<WholeAnswer, ProviderError> {
        let json: JSONValue
        do { json = try JSONValue.parse(body) } catch {
            return .failure(ProviderError(kind: .other, message: "the answer is not valid JSON (\(error))"))
        }
        if json["type"]?.string == "error" { return .failure(Self.errorFrom(json: json, status: 200)) }
        guard let content = json["content"]?.array else {
            return .failure(ProviderError(kind: .other, message: "the answer has no content"))
        }
        // A forced tool's input is the answer (structured_output: tool).
        let text = content.compactMap { block -> String? in
            switch block["type"]?.string {
            case "text": return block["text"]?.string
            case "tool_use": return block["input"].map { $0.serialized() }
            default: return nil
            }
        }.joined()
        var counts = UsageCounts()
        counts.read(json["usage"])
        return .success(WholeAnswer(text: text, usage: counts.usage, finish: json["stop_reason"]?.string.map(Self.finish)))
    }

    public func classify(status: Int, body: [UInt8]) -> ProviderError {
        if let json = try? JSONValue.parse(body) {
            return json["error"]?["message"] != nil ? Self.errorFrom(json: json, status: status) : ErrorText.fromOtherJSON(json, status: status)
        }
        return ProviderError(kind: ErrorText.kind(status: status, type: nil, code: nil, message: ""),
                             message: ErrorText.excerpt(body, status: status))
    }

    static func finish(_ raw: String) -> Finish { Finish(finishReason(raw), raw: raw) }

    /// Anthropic's usage counts, as they arrive over a stream (message_start, then
    /// message_delta). `input_tokens` leaves out the tokens read from or written to
    /// the prompt cache, which are billed too: llmr's input is all three.
    struct UsageCounts {
        var input: Int?
        var output = 0
        var cacheRead: Int?
        var cacheWrite: Int?

        mutating func read(_ u: JSONValue?) {
            guard let u else { return }
            input = u["input_tokens"]?.count ?? input
            output = u["output_tokens"]?.count ?? output
            cacheRead = u["cache_read_input_tokens"]?.count ?? cacheRead
            cacheWrite = u["cache_creation_input_tokens"]?.count ?? cacheWrite
        }

        var usage: Usage? {
            guard let input else { return nil }
            return Usage(inputTokens: input + (cacheRead ?? 0) + (cacheWrite ?? 0), outputTokens: output,
                         cachedInputTokens: cacheRead, cacheWriteTokens: cacheWrite)
        }
    }

    static func finishReason(_ s: String) -> FinishReason {
        switch s {
        case "end_turn", "stop_sequence": return .stop
        case "max_tokens", "model_context_window_exceeded": return .length
        case "tool_use": return .toolCalls
        case "refusal": return .contentFilter
        default: return .other
        }
    }

    /// `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`
    static func errorFrom(json: JSONValue, status: Int) -> ProviderError {
        let e = json["error"] ?? json
        let type = e["type"]?.string
        let message = e["message"]?.string ?? json.serialized()
        var kind = ErrorText.kind(status: status, type: type, code: nil, message: message)
        switch type {
        case "overloaded_error": kind = .overloaded
        case "rate_limit_error": kind = .rateLimit
        case "api_error": kind = .server
        case "authentication_error", "permission_error": kind = .auth
        case "not_found_error": kind = .notFound
        default: break
        }
        return ProviderError(kind: kind, message: ErrorText.clip(message))
    }
}

/// Reads Anthropic's event stream: message_start, content blocks, message_delta, message_stop.
struct AnthropicEventReader: SSEEventReader {
    private var counts = AnthropicWire.UsageCounts()

    mutating func read(_ event: SSEEvent, into out: inout [StreamEvent]) {
        guard let json = json(event, into: &out) else { return }
        // The data's own "type" is authoritative; the SSE event name repeats it.
        switch json["type"]?.string ?? event.event {
        case "message_start":
            counts.read(json["message"]?["usage"])
        case "content_block_delta":
            switch json["delta"]?["type"]?.string {
            case "text_delta":
                if let text = json["delta"]?["text"]?.string, !text.isEmpty { out.append(.text(text)) }
            case "input_json_delta":
                // Only a tool llmr forced (structured_output: tool) is called: its input is the answer.
                if let text = json["delta"]?["partial_json"]?.string, !text.isEmpty { out.append(.text(text)) }
            default: break
            }
        case "message_delta":
            if let reason = json["delta"]?["stop_reason"]?.string { out.append(.finish(AnthropicWire.finish(reason))) }
            if json["usage"] != nil {
                counts.read(json["usage"])
                if let usage = counts.usage { out.append(.usage(usage)) }
            }
        case "message_stop":
            out.append(.end)
        case "error":
            out.append(.error(AnthropicWire.errorFrom(json: json, status: 200)))
        case "ping", "content_block_start", "content_block_stop":
            break
        case nil:
            out.append(.malformed("a stream event has no type: \(ErrorText.clip(event.data))"))
        default:
            break // new event types are allowed by the API's versioning policy
        }
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
