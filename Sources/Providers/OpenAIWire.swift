import RouterCore

/// OpenAI's chat-completions format, which most vendors speak too:
/// `POST {base_url}/chat/completions` with a bearer key.
public struct OpenAIWire: WireFormat {
    public init() {}

    public func makeRequest(_ request: ChatRequest, modelID: String, provider: ProviderConfig, key: String?, stream: Bool) -> HTTPRequest {
        let continuing = request.messages.last?.role == .assistant
        var messages: [JSONValue] = request.messages.map { .object([("role", .string($0.role.rawValue)), ("content", .string($0.content))]) }
        if continuing, provider.continuation == .prefix, case .object(var last)? = messages.last {
            last.append(("prefix", true))
            messages[messages.count - 1] = .object(last)
        }
        var members: [(String, JSONValue)] = [("model", .string(modelID)), ("messages", .array(messages))]
        if continuing, provider.continuation == .continueFinalMessage {
            members.append(("continue_final_message", true))
            members.append(("add_generation_prompt", false))
        }
        if let max = request.maxTokens { members.append((provider.maxTokensField, .number(Double(max)))) }
        if let t = request.temperature { members.append(("temperature", .number(t))) }
        if !request.stop.isEmpty { members.append(("stop", .array(request.stop.map { .string($0) }))) }
        if let schema = request.schema {
            members.append(("response_format", .object([
                ("type", "json_schema"),
                ("json_schema", .object([("name", .string(schema.name)), ("schema", schema.document), ("strict", .bool(schema.strict))])),
            ])))
        }
        if stream {
            members.append(("stream", true))
            // Without this the stream carries no token counts, and cost is unknown.
            members.append(("stream_options", .object([("include_usage", true)])))
        }
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        headers.append(("Accept", stream ? "text/event-stream" : "application/json"))
        if let key { headers.append(("Authorization", "Bearer \(key)")) }
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) { headers.append((name, value)) }
        return HTTPRequest(url: provider.baseURL + "/chat/completions", headers: headers,
                           body: JSONValue.object(members).bytes(), timeouts: provider.timeouts)
    }

    public func canContinue(_ provider: ProviderConfig) -> Bool { provider.continuation != .none }

    public func probeRequest(provider: ProviderConfig, key: String?) -> HTTPRequest {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let key { headers.append(("Authorization", "Bearer \(key)")) }
        return HTTPRequest(method: "GET", url: provider.baseURL + "/models", headers: headers, body: [], timeouts: provider.timeouts)
    }

    public func makeStreamDecoder() -> any StreamDecoder { SSEStreamDecoder(OpenAIEventReader()) }

    public func decodeWhole(_ body: [UInt8]) -> Result<WholeAnswer, ProviderError> {
        let json: JSONValue
        do { json = try JSONValue.parse(body) } catch {
            return .failure(ProviderError(kind: .other, message: "the answer is not valid JSON (\(error))"))
        }
        if let e = json["error"], !e.isNull {
            return .failure(Self.errorFrom(json: json, status: 200))
        }
        guard let choice = json["choices"]?[0], let message = choice["message"] else {
            return .failure(ProviderError(kind: .other, message: "the answer has no choices[0].message"))
        }
        let text = message["content"]?.string ?? ""
        return .success(WholeAnswer(text: text, usage: Self.usage(json["usage"]),
                                    finish: choice["finish_reason"]?.string.map(Self.finish)))
    }

    public func classify(status: Int, body: [UInt8]) -> ProviderError {
        if let json = try? JSONValue.parse(body) {
            return Self.errorFrom(json: json, status: status)
        }
        return ProviderError(kind: ErrorText.kind(status: status, type: nil, code: nil, message: ""),
                             message: ErrorText.excerpt(body, status: status))
    }

    /// `usage`: prompt and completion tokens, with the cached share of the prompt
    /// (`prompt_tokens_details.cached_tokens`) and the reasoning share of the
    /// completion (`completion_tokens_details.reasoning_tokens`).
    static func usage(_ json: JSONValue?) -> Usage? {
        guard let u = json, let input = u["prompt_tokens"]?.count, let output = u["completion_tokens"]?.count else { return nil }
        return Usage(inputTokens: input, outputTokens: output,
                     cachedInputTokens: u["prompt_tokens_details"]?["cached_tokens"]?.count,
                     reasoningTokens: u["completion_tokens_details"]?["reasoning_tokens"]?.count)
    }

    static func finish(_ raw: String) -> Finish { Finish(finishReason(raw), raw: raw) }

    static func finishReason(_ s: String) -> FinishReason {
        switch s {
        case "stop": return .stop
        case "length": return .length
        case "content_filter": return .contentFilter
        case "tool_calls", "function_call": return .toolCalls
        default: return .other
        }
    }

    /// Reads the error shapes OpenAI-compatible servers use:
    /// `{"error":{"message","type","code"}}`, `{"error":"text"}`, `{"message":…}`, `{"detail":…}`.
    static func errorFrom(json: JSONValue, status: Int) -> ProviderError {
        let e = json["error"] ?? json
        let message = e["message"]?.string ?? e.string ?? json["message"]?.string ?? json["detail"]?.string
            ?? json.serialized()
        let type = e["type"]?.string
        let code = e["code"]?.string ?? e["code"]?.int.map(String.init)
        return ProviderError(kind: ErrorText.kind(status: status, type: type, code: code, message: message),
                             message: ErrorText.clip(message))
    }
}

/// Reads OpenAI's stream: `data: {chunk}` events, then `data: [DONE]`.
struct OpenAIEventReader: SSEEventReader {
    func read(_ event: SSEEvent, into out: inout [StreamEvent]) {
        if event.data == "[DONE]" {
            out.append(.end)
            return
        }
        guard let json = json(event, into: &out) else { return }
        if let e = json["error"], !e.isNull {
            out.append(.error(OpenAIWire.errorFrom(json: json, status: 200)))
            return
        }
        guard case .object = json else {
            out.append(.malformed("a stream event is not a JSON object: \(ErrorText.clip(event.data))"))
            return
        }
        if let choice = json["choices"]?[0] {
            if let text = choice["delta"]?["content"]?.string, !text.isEmpty { out.append(.text(text)) }
            if let reason = choice["finish_reason"]?.string { out.append(.finish(OpenAIWire.finish(reason))) }
        }
        if let usage = OpenAIWire.usage(json["usage"]) { out.append(.usage(usage)) }
    }
}
