import RouterCore

/// The server side of Anthropic's Messages API, for the gateway: a client's
/// request into llmr's, and llmr's answer into what the Anthropic SDKs read.
public enum AnthropicServer {
    /// Decodes a `POST /v1/messages` body.
    public static func decode(_ body: [UInt8]) throws(ClientError) -> ServedRequest {
        let json = try ServedFields.object(body)
        let model = try ServedFields.model(json)
        guard let messages = json["messages"]?.array, !messages.isEmpty else {
            throw .bad("messages: must be a non-empty array", param: "messages")
        }
        if let tools = json["tools"]?.array, !tools.isEmpty { throw .bad("tools: not relayed by llmr serve", param: "tools") }
        var request = ChatRequest(messages: [])
        if let system = json["system"], system != .null {
            request.messages.append(Message(role: .system, content: try ServedFields.text(system, at: "system")))
        }
        for (i, m) in messages.enumerated() {
            let field = "messages.\(i)"
            let role: Role
            switch m["role"]?.string {
            case "user": role = .user
            case "assistant": role = .assistant
            case let other?: throw .bad("\(field).role: '\(other)' is not user or assistant", param: "\(field).role")
            case nil: throw .bad("\(field).role: missing", param: "\(field).role")
            }
            request.messages.append(Message(role: role, content: try ServedFields.text(m["content"], at: "\(field).content")))
        }
        guard messages.first?["role"]?.string == "user" else {
            throw .bad("messages: the first message must be the user's", param: "messages")
        }
        request.maxTokens = try ServedFields.maxTokens(json["max_tokens"], field: "max_tokens")
        request.temperature = try ServedFields.temperature(json["temperature"], upTo: 1)
        request.stop = try ServedFields.stop(json["stop_sequences"], field: "stop_sequences")
        if let format = json["output_config"]?["format"], format != .null {
            guard format["type"]?.string == "json_schema", let schema = format["schema"] else {
                throw .bad("output_config.format: only {type: json_schema, schema} is known", param: "output_config.format")
            }
            request.schema = try ServedFields.schema(schema, name: nil, field: "output_config.format.schema")
        }
        return ServedRequest(model: model, request: request, stream: try ServedFields.flag(json["stream"], field: "stream"))
    }

    /// Anthropic's word for how an answer ended.
    public static func stopReason(_ f: Finish?) -> String {
        switch f?.reason {
        case .length?: return "max_tokens"
        case .contentFilter?: return "refusal"
        case .toolCalls?: return "tool_use"
        case .stop?, .other?, nil: return "end_turn"
        }
    }

    static func usage(_ u: Usage?) -> JSONValue {
        .object([("input_tokens", .number(Double(u?.inputTokens ?? 0))), ("output_tokens", .number(Double(u?.outputTokens ?? 0)))])
    }

    /// The `message` object for a whole answer.
    public static func whole(_ r: RouteResult, model: String, id: String) -> JSONValue {
        .object([
            ("id", .string(id)), ("type", "message"), ("role", "assistant"), ("model", .string(model)),
            ("content", .array([.object([("type", "text"), ("text", .string(r.text ?? ""))])])),
            ("stop_reason", .string(stopReason(r.finish))), ("stop_sequence", .null), ("usage", usage(r.usage)),
        ])
    }

    /// The error type Anthropic gives a status.
    static func errorType(_ status: Int) -> String {
        switch status {
        case 400, 404: return "invalid_request_error"
        case 401: return "authentication_error"
        case 413: return "request_too_large"
        case 429: return "rate_limit_error"
        case 503, 529: return "overloaded_error"
        default: return "api_error"
        }
    }

    /// The body of an error answer (`{"type":"error","error":{type,message}}`).
    public static func error(status: Int, message: String) -> JSONValue {
        .object([("type", "error"), ("error", .object([("type", .string(errorType(status))), ("message", .string(message))]))])
    }

    /// Writes a streamed answer as Anthropic's events: `message_start`, one
    /// text block, `message_delta` with the stop reason and usage, `message_stop`.
    public struct Stream: Sendable {
        let id: String
        let model: String
        private var began = false

        public init(id: String, model: String) {
            self.id = id
            self.model = model
        }

        func event(_ name: String, _ json: JSONValue) -> String { "event: \(name)\ndata: \(json.serialized())\n\n" }

        /// The message's start and its text block's.
        public mutating func begin() -> String {
            began = true
            let message: JSONValue = .object([
                ("id", .string(id)), ("type", "message"), ("role", "assistant"), ("model", .string(model)), ("content", .array([])),
                ("stop_reason", .null), ("stop_sequence", .null), ("usage", AnthropicServer.usage(nil)),
            ])
            return event("message_start", .object([("type", "message_start"), ("message", message)]))
                + event("content_block_start", .object([("type", "content_block_start"), ("index", 0),
                                                        ("content_block", .object([("type", "text"), ("text", "")]))]))
        }

        /// A piece of answer text.
        public mutating func text(_ t: String) -> String {
            (began ? "" : begin()) + event("content_block_delta", .object([
                ("type", "content_block_delta"), ("index", 0), ("delta", .object([("type", "text_delta"), ("text", .string(t))])),
            ]))
        }

        /// The end of a whole answer.
        public mutating func end(_ r: RouteResult) -> String {
            (began ? "" : begin())
                + event("content_block_stop", .object([("type", "content_block_stop"), ("index", 0)]))
                + event("message_delta", .object([
                    ("type", "message_delta"),
                    ("delta", .object([("stop_reason", .string(AnthropicServer.stopReason(r.finish))), ("stop_sequence", .null)])),
                    ("usage", AnthropicServer.usage(r.usage)),
                ]))
                + event("message_stop", .object([("type", "message_stop")]))
        }

        /// The end of an answer that broke off: an `error` event, and no `message_stop`.
        public func failed(_ message: String) -> String {
            event("error", AnthropicServer.error(status: 502, message: message))
        }
    }
}
