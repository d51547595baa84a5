import RouterCore

/// The server side of OpenAI's chat completions, for the gateway: a
/// client's request into llmr's, and llmr's answer into what the OpenAI SDKs read.
public enum OpenAIServer {
    /// Decodes a `POST /v1/chat/completions` body.
    public static func decode(_ body: [UInt8]) throws(ClientError) -> ServedRequest {
        let json = try ServedFields.object(body)
        let model = try ServedFields.model(json)
        guard let messages = json["messages"]?.array, !messages.isEmpty else {
            throw .bad("messages must be a non-empty array", param: "messages")
        }
        if let tools = json["tools"]?.array, !tools.isEmpty { throw .bad("tools are not relayed by llmr serve", param: "tools") }
        if let functions = json["functions"]?.array, !functions.isEmpty { throw .bad("functions are not relayed by llmr serve", param: "functions") }
        if let n = json["n"], n != .null, n.int != 1 { throw .bad("n must be 1: llmr serve returns one choice", param: "n") }
        var request = ChatRequest(messages: [])
        for (i, m) in messages.enumerated() {
            let field = "messages[\(i)]"
            let role: Role
            switch m["role"]?.string {
            case "system", "developer": role = .system
            case "user": role = .user
            case "assistant": role = .assistant
            case let other?: throw .bad("\(field).role '\(other)' is not relayed (system, developer, user or assistant)", param: "\(field).role")
            case nil: throw .bad("\(field).role is missing", param: "\(field).role")
            }
            request.messages.append(Message(role: role, content: try ServedFields.text(m["content"], at: "\(field).content")))
        }
        guard request.messages.contains(where: { $0.role == .user }) else {
            throw .bad("messages must hold at least one user message", param: "messages")
        }
        // max_completion_tokens is the newer name; either is taken.
        let newer = try ServedFields.maxTokens(json["max_completion_tokens"], field: "max_completion_tokens")
        let older = try ServedFields.maxTokens(json["max_tokens"], field: "max_tokens")
        request.maxTokens = newer ?? older
        request.temperature = try ServedFields.temperature(json["temperature"], upTo: 2)
        request.stop = try ServedFields.stop(json["stop"], field: "stop")
        if case .object? = json["response_format"] {
            let format = json["response_format"] ?? .null
            switch format["type"]?.string {
            case "json_schema":
                guard let schema = format["json_schema"]?["schema"] else {
                    throw .bad("response_format.json_schema.schema is missing", param: "response_format")
                }
                request.schema = try ServedFields.schema(schema, name: format["json_schema"]?["name"]?.string, field: "response_format.json_schema.schema")
            case "json_object":
                request.schema = try ServedFields.schema(.object([("type", "object")]), name: nil, field: "response_format")
            case "text", nil: break
            case let other?: throw .bad("response_format.type '\(other)' is not known (text, json_object or json_schema)", param: "response_format")
            }
        }
        let stream = try ServedFields.flag(json["stream"], field: "stream")
        let includeUsage = try ServedFields.flag(json["stream_options"]?["include_usage"], field: "stream_options.include_usage")
        return ServedRequest(model: model, request: request, stream: stream, includeUsage: includeUsage)
    }

    /// OpenAI's word for how an answer ended.
    public static func finishReason(_ f: Finish?) -> String {
        switch f?.reason {
        case .length?: return "length"
        case .contentFilter?: return "content_filter"
        case .toolCalls?: return "tool_calls"
        case .stop?, .other?, nil: return "stop"
        }
    }

    static func usage(_ u: Usage?) -> JSONValue {
        guard let u else { return .null }
        return .object([("prompt_tokens", .number(Double(u.inputTokens))), ("completion_tokens", .number(Double(u.outputTokens))),
                        ("total_tokens", .number(Double(u.inputTokens + u.outputTokens)))])
    }

    /// The `chat.completion` object for a whole answer.
    public static func whole(_ r: RouteResult, model: String, id: String, created: Int) -> JSONValue {
        .object([
            ("id", .string(id)), ("object", "chat.completion"), ("created", .number(Double(created))), ("model", .string(model)),
            ("choices", .array([.object([
                ("index", 0),
                ("message", .object([("role", "assistant"), ("content", .string(r.text ?? "")), ("refusal", .null)])),
                ("logprobs", .null),
                ("finish_reason", .string(finishReason(r.finish))),
            ])])),
            ("usage", usage(r.usage)),
        ])
    }

    /// The body of an error answer (`{"error":{message,type,param,code}}`).
    public static func error(status: Int, message: String, param: String? = nil) -> JSONValue {
        let (type, code): (String, String?) = switch status {
        case 400, 404, 413: ("invalid_request_error", status == 413 ? "request_too_large" : nil)
        case 401: ("invalid_request_error", "invalid_api_key")
        case 429: ("rate_limit_error", "rate_limit_exceeded")
        default: ("server_error", nil)
        }
        return .object([("error", .object([("message", .string(message)), ("type", .string(type)),
                                             ("param", param.map { .string($0) } ?? .null), ("code", code.map { .string($0) } ?? .null)]))])
    }

    /// Writes a streamed answer as `chat.completion.chunk` events.
    public struct Stream: Sendable {
        let id: String
        let created: Int
        let model: String
        let includeUsage: Bool
        private var began = false

        public init(id: String, created: Int, model: String, includeUsage: Bool) {
            self.id = id
            self.created = created
            self.model = model
            self.includeUsage = includeUsage
        }

        func chunk(_ delta: JSONValue, finish: String? = nil) -> String {
            event(.object([
                ("id", .string(id)), ("object", "chat.completion.chunk"), ("created", .number(Double(created))), ("model", .string(model)),
                ("choices", .array([.object([("index", 0), ("delta", delta), ("logprobs", .null), ("finish_reason", finish.map { .string($0) } ?? .null)])])),
            ]))
        }

        func event(_ json: JSONValue) -> String { "data: " + json.serialized() + "\n\n" }

        /// The first event: the assistant's role, before any text.
        public mutating func begin() -> String {
            began = true
            return chunk(.object([("role", "assistant"), ("content", "")]))
        }

        /// A piece of answer text.
        public mutating func text(_ t: String) -> String {
            (began ? "" : begin()) + chunk(.object([("content", .string(t))]))
        }

        /// The end of a whole answer: its finish reason, the usage when asked for, then `[DONE]`.
        public mutating func end(_ r: RouteResult) -> String {
            var out = began ? "" : begin()
            out += chunk(.object([]), finish: OpenAIServer.finishReason(r.finish))
            if includeUsage {
                out += event(.object([
                    ("id", .string(id)), ("object", "chat.completion.chunk"), ("created", .number(Double(created))),
                    ("model", .string(model)), ("choices", .array([])), ("usage", OpenAIServer.usage(r.usage)),
                ]))
            }
            return out + "data: [DONE]\n\n"
        }

        /// The end of an answer that broke off: an error object, and never `[DONE]`,
        /// so no client takes the text so far for a whole answer.
        public func failed(_ message: String) -> String {
            event(OpenAIServer.error(status: 502, message: message))
        }
    }
}
