import RouterCore

/// Google's Gemini API: `POST {base_url}/v1beta/models/{model}:generateContent`,
/// or `:streamGenerateContent?alt=sse`, with `x-goog-api-key`.
public struct GeminiWire: WireFormat {
    public init() {}

    public func makeRequest(_ request: ChatRequest, modelID: String, provider: ProviderConfig, key: String?, stream: Bool) -> HTTPRequest {
        let contents: [JSONValue] = request.messages.filter { $0.role != .system }.map {
            .object([("role", .string($0.role == .assistant ? "model" : "user")),
                     ("parts", .array([.object([("text", .string($0.content))])]))])
        }
        var members: [(String, JSONValue)] = [("contents", .array(contents))]
        if let system = request.systemPrompt {
            members.append(("systemInstruction", .object([("parts", .array([.object([("text", .string(system))])]))])))
        }
        var generation: [(String, JSONValue)] = []
        if let max = request.maxTokens { generation.append(("maxOutputTokens", .number(Double(max)))) }
        if let t = request.temperature { generation.append(("temperature", .number(t))) }
        if !request.stop.isEmpty { generation.append(("stopSequences", .array(request.stop.map { .string($0) }))) }
        if let schema = request.schema {
            generation.append(("responseMimeType", "application/json"))
            generation.append(("responseJsonSchema", schema.document))
        }
        if !generation.isEmpty { members.append(("generationConfig", .object(generation))) }
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let key { headers.append(("x-goog-api-key", key)) }
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) { headers.append((name, value)) }
        let method = stream ? "streamGenerateContent?alt=sse" : "generateContent"
        return HTTPRequest(url: "\(provider.baseURL)/v1beta/models/\(modelID):\(method)", headers: headers,
                           body: JSONValue.object(members).bytes(), timeouts: provider.timeouts)
    }

    public func canContinue(_ provider: ProviderConfig) -> Bool { false }

    public func probeRequest(provider: ProviderConfig, key: String?) -> HTTPRequest {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let key { headers.append(("x-goog-api-key", key)) }
        return HTTPRequest(method: "GET", url: provider.baseURL + "/v1beta/models", headers: headers, body: [], timeouts: provider.timeouts)
    }

    public func makeStreamDecoder() -> any StreamDecoder { SSEStreamDecoder(GeminiEventReader()) }

    public func decodeWhole(_ body: [UInt8]) -> Result<WholeAnswer, ProviderError> {
        let json: JSONValue
        do { json = try JSONValue.parse(body) } catch {
            return .failure(ProviderError(kind: .other, message: "the answer is not valid JSON (\(error))"))
        }
        if json["error"] != nil { return .failure(Self.errorFrom(json: json, status: 200)) }
        let r = Self.read(json)
        if let blocked = r.blocked { return .failure(blocked) }
        return .success(WholeAnswer(text: r.text, usage: r.usage, finish: r.finish))
    }

    public func classify(status: Int, body: [UInt8]) -> ProviderError {
        if let json = try? JSONValue.parse(body) {
            return json["error"]?["message"] != nil ? Self.errorFrom(json: json, status: status) : ErrorText.fromOtherJSON(json, status: status)
        }
        return ProviderError(kind: ErrorText.kind(status: status, type: nil, code: nil, message: ""),
                             message: ErrorText.excerpt(body, status: status))
    }

    /// What one GenerateContentResponse carries.
    static func read(_ json: JSONValue) -> (text: String, finish: Finish?, usage: Usage?, blocked: ProviderError?) {
        let candidate = json["candidates"]?[0]
        // Thought parts ("thought": true) are the model's reasoning, not its answer.
        let text = candidate?["content"]?["parts"]?.array?.filter { $0["thought"]?.bool != true }.compactMap { $0["text"]?.string }.joined() ?? ""
        let finish = candidate?["finishReason"]?.string.map { Finish(finishReason($0), raw: $0) }
        var usage: Usage?
        // promptTokenCount includes the cached tokens; candidatesTokenCount leaves out the thoughts.
        if let u = json["usageMetadata"], let input = u["promptTokenCount"]?.count {
            let thoughts = u["thoughtsTokenCount"]?.count
            usage = Usage(inputTokens: input, outputTokens: (u["candidatesTokenCount"]?.count ?? 0) + (thoughts ?? 0),
                          cachedInputTokens: u["cachedContentTokenCount"]?.count, reasoningTokens: thoughts)
        }
        var blocked: ProviderError?
        if candidate == nil, let reason = json["promptFeedback"]?["blockReason"]?.string {
            blocked = ProviderError(kind: .invalidRequest, message: "the prompt was blocked (\(reason))")
        }
        return (text, finish, usage, blocked)
    }

    static func finishReason(_ s: String) -> FinishReason {
        switch s {
        case "STOP": return .stop
        case "MAX_TOKENS": return .length
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY": return .contentFilter
        case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL": return .toolCalls
        default: return .other
        }
    }

    /// `{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}`
    static func errorFrom(json: JSONValue, status: Int) -> ProviderError {
        let e = json["error"] ?? json
        let message = e["message"]?.string ?? json.serialized()
        let code = e["status"]?.string
        var kind = ErrorText.kind(status: status == 200 ? (e["code"]?.int ?? status) : status, type: nil, code: code, message: message)
        if kind != .contextLength {
            switch code {
            case "RESOURCE_EXHAUSTED": kind = .rateLimit
            case "UNAVAILABLE": kind = .overloaded
            case "UNAUTHENTICATED", "PERMISSION_DENIED": kind = .auth
            case "NOT_FOUND": kind = .notFound
            case "INVALID_ARGUMENT", "FAILED_PRECONDITION": kind = .invalidRequest
            case "DEADLINE_EXCEEDED": kind = .timeout
            case "INTERNAL": kind = .server
            default: break
            }
        }
        return ProviderError(kind: kind, message: ErrorText.clip(message))
    }
}

/// Reads Gemini's SSE stream: one GenerateContentResponse per event; the one
/// with a `finishReason` stands for the end marker (its token counts may follow
/// in one more event).
struct GeminiEventReader: SSEEventReader {
    func read(_ event: SSEEvent, into out: inout [StreamEvent]) {
        guard let json = json(event, into: &out) else { return }
        if json["error"] != nil {
            out.append(.error(GeminiWire.errorFrom(json: json, status: 200)))
            return
        }
        guard case .object = json else {
            out.append(.malformed("a stream event is not a JSON object: \(ErrorText.clip(event.data))"))
            return
        }
        let r = GeminiWire.read(json)
        if let blocked = r.blocked {
            out.append(.error(blocked))
            return
        }
        if !r.text.isEmpty { out.append(.text(r.text)) }
        if let u = r.usage { out.append(.usage(u)) }
        if let f = r.finish {
            out.append(.finish(f))
            // Counts in the same event end it; without them some servers (gema)
            // send them in one more event.
            out.append(json["usageMetadata"]?["candidatesTokenCount"] != nil ? .end : .endUnlessUsageFollows)
        }
    }
}
