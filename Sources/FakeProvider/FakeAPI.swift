import RouterCore

/// One wire format as the fake provider speaks it: what a request asks for,
/// and the bytes of answers, stream events and errors.
protocol FakeAPI {
    /// Whether the request asks for a streamed answer.
    func wantsStream(_ request: RecordedRequest, _ json: JSONValue) -> Bool
    /// The last user message, for `echo`.
    func lastUserText(_ json: JSONValue) -> String
    /// The partial answer the request asks the model to continue, if any.
    func prefill(_ json: JSONValue) -> String?
    /// Whether the request carries `key` the way this API sends keys.
    func hasKey(_ request: RecordedRequest, _ key: String) -> Bool
    /// SSE events before the first text.
    func streamStart(model: String, ending: FakeEnding) -> [String]
    /// The SSE event for one piece of text.
    func streamText(_ text: String, model: String, first: Bool, ending: FakeEnding) -> String
    /// SSE events after the last text, ending with the API's end marker.
    func streamEnd(model: String, ending: FakeEnding) -> [String]
    /// An error event inside a 200 stream.
    func streamError() -> String
    /// A whole (non-streamed) answer.
    func whole(_ text: String, model: String, ending: FakeEnding) -> JSONValue
    /// An error body for `status`.
    func errorBody(status: Int, message: String) -> JSONValue
}

/// How a fake answer ends: its finish reason and its usage.
struct FakeEnding {
    var input: Int
    var output: Int
    /// Verbatim; nil for the API's natural end.
    var finish: String?
    /// Verbatim usage; nil for counts from `input` and `output`; `.null` for none.
    var usage: JSONValue?
    /// Gemini: the counts in an event of their own after the finishReason one.
    var usageLast = false
    /// Anthropic: the tool the request forces (`tool_choice`): the text is its input.
    var tool: String? = nil

    var sendsUsage: Bool { usage != .null }
}

extension FakeAPI {
    func sse(_ json: JSONValue, event: String? = nil) -> String {
        (event.map { "event: \($0)\n" } ?? "") + "data: \(json.serialized())\n\n"
    }
}

/// OpenAI's chat completions.
struct FakeOpenAI: FakeAPI {
    func wantsStream(_ request: RecordedRequest, _ json: JSONValue) -> Bool { json["stream"]?.bool == true }

    func lastUserText(_ json: JSONValue) -> String {
        json["messages"]?.array?.last { $0["role"]?.string == "user" }?["content"]?.string ?? ""
    }

    func prefill(_ json: JSONValue) -> String? {
        guard let last = json["messages"]?.array?.last, last["role"]?.string == "assistant",
              last["prefix"]?.bool == true || json["continue_final_message"]?.bool == true else { return nil }
        return last["content"]?.string
    }

    func hasKey(_ request: RecordedRequest, _ key: String) -> Bool { request.header("authorization") == "Bearer \(key)" }

    func streamStart(model: String, ending: FakeEnding) -> [String] { [] }

    func chunk(_ delta: JSONValue, model: String, finish: String? = nil) -> JSONValue {
        .object([("id", "chatcmpl-fake"), ("object", "chat.completion.chunk"), ("created", 0), ("model", .string(model)),
                 ("choices", .array([.object([("index", 0), ("delta", delta), ("finish_reason", finish.map { .string($0) } ?? .null)])]))])
    }

    func streamText(_ text: String, model: String, first: Bool, ending: FakeEnding) -> String {
        let delta: JSONValue = first ? .object([("role", "assistant"), ("content", .string(text))]) : .object([("content", .string(text))])
        return sse(chunk(delta, model: model))
    }

    func usage(_ input: Int, _ output: Int) -> JSONValue {
        .object([("prompt_tokens", .number(Double(input))), ("completion_tokens", .number(Double(output))),
                 ("total_tokens", .number(Double(input + output)))])
    }

    func streamEnd(model: String, ending: FakeEnding) -> [String] {
        var events = [sse(chunk(.object([]), model: model, finish: ending.finish ?? "stop"))]
        if ending.sendsUsage {
            events.append(sse(.object([("id", "chatcmpl-fake"), ("object", "chat.completion.chunk"), ("created", 0), ("model", .string(model)),
                                       ("choices", .array([])), ("usage", ending.usage ?? usage(ending.input, ending.output))])))
        }
        return events + ["data: [DONE]\n\n"]
    }

    func streamError() -> String {
        sse(errorBody(status: 503, message: "The server is overloaded, try again later."))
    }

    func whole(_ text: String, model: String, ending: FakeEnding) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", "chatcmpl-fake"), ("object", "chat.completion"), ("created", 0), ("model", .string(model)),
            ("choices", .array([.object([("index", 0), ("message", .object([("role", "assistant"), ("content", .string(text))])),
                                         ("finish_reason", .string(ending.finish ?? "stop"))])])),
        ]
        if ending.sendsUsage { members.append(("usage", ending.usage ?? usage(ending.input, ending.output))) }
        return .object(members)
    }

    func errorBody(status: Int, message: String) -> JSONValue {
        let type = status == 429 ? "rate_limit_error" : status == 401 ? "invalid_request_error" : status >= 500 ? "server_error" : "invalid_request_error"
        return .object([("error", .object([("message", .string(message)), ("type", .string(type)), ("param", .null),
                                           ("code", status == 401 ? "invalid_api_key" : .null)]))])
    }
}

/// Anthropic's Messages API.
struct FakeAnthropic: FakeAPI {
    func wantsStream(_ request: RecordedRequest, _ json: JSONValue) -> Bool { json["stream"]?.bool == true }

    func lastUserText(_ json: JSONValue) -> String {
        json["messages"]?.array?.last { $0["role"]?.string == "user" }?["content"]?.string ?? ""
    }

    func prefill(_ json: JSONValue) -> String? {
        guard let last = json["messages"]?.array?.last, last["role"]?.string == "assistant" else { return nil }
        return last["content"]?.string
    }

    func hasKey(_ request: RecordedRequest, _ key: String) -> Bool { request.header("x-api-key") == key }

    func streamStart(model: String, ending: FakeEnding) -> [String] {
        var message: [(String, JSONValue)] = [
            ("id", "msg_fake"), ("type", "message"), ("role", "assistant"), ("content", .array([])), ("model", .string(model)),
            ("stop_reason", .null), ("stop_sequence", .null),
        ]
        if ending.sendsUsage {
            message.append(("usage", ending.usage ?? .object([("input_tokens", .number(Double(ending.input))), ("output_tokens", 1)])))
        }
        return [sse(.object([("type", "message_start"), ("message", .object(message))]), event: "message_start"),
         sse(.object([("type", "content_block_start"), ("index", 0), ("content_block", ending.tool.map {
             .object([("type", "tool_use"), ("id", "toolu_fake"), ("name", .string($0)), ("input", .object([]))])
         } ?? .object([("type", "text"), ("text", "")]))]), event: "content_block_start"),
         sse(.object([("type", "ping")]), event: "ping")]
    }

    func streamText(_ text: String, model: String, first: Bool, ending: FakeEnding) -> String {
        let delta: JSONValue = ending.tool == nil ? .object([("type", "text_delta"), ("text", .string(text))])
            : .object([("type", "input_json_delta"), ("partial_json", .string(text))])
        return sse(.object([("type", "content_block_delta"), ("index", 0), ("delta", delta)]), event: "content_block_delta")
    }

    func streamEnd(model: String, ending: FakeEnding) -> [String] {
        var delta: [(String, JSONValue)] = [("type", "message_delta"),
                                             ("delta", .object([("stop_reason", .string(ending.finish ?? (ending.tool == nil ? "end_turn" : "tool_use"))),
                                                                ("stop_sequence", .null)]))]
        if ending.sendsUsage { delta.append(("usage", ending.usage ?? .object([("output_tokens", .number(Double(ending.output)))]))) }
        return [sse(.object([("type", "content_block_stop"), ("index", 0)]), event: "content_block_stop"),
                sse(.object(delta), event: "message_delta"),
                sse(.object([("type", "message_stop")]), event: "message_stop")]
    }

    func streamError() -> String {
        sse(.object([("type", "error"), ("error", .object([("type", "overloaded_error"), ("message", "Overloaded")]))]), event: "error")
    }

    func whole(_ text: String, model: String, ending: FakeEnding) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", "msg_fake"), ("type", "message"), ("role", "assistant"), ("model", .string(model)),
            ("content", .array([ending.tool.map {
                // The tool's input is the text, as JSON (a string when it is not JSON).
                .object([("type", "tool_use"), ("id", "toolu_fake"), ("name", .string($0)), ("input", (try? JSONValue.parse(text)) ?? .string(text))])
            } ?? .object([("type", "text"), ("text", .string(text))])])),
            ("stop_reason", .string(ending.finish ?? (ending.tool == nil ? "end_turn" : "tool_use"))), ("stop_sequence", .null),
        ]
        if ending.sendsUsage {
            members.append(("usage", ending.usage ?? .object([("input_tokens", .number(Double(ending.input))), ("output_tokens", .number(Double(ending.output)))])))
        }
        return .object(members)
    }

    func errorBody(status: Int, message: String) -> JSONValue {
        let type: String
        switch status {
        case 401: type = "authentication_error"
        case 403: type = "permission_error"
        case 404: type = "not_found_error"
        case 429: type = "rate_limit_error"
        case 529: type = "overloaded_error"
        case 500...: type = "api_error"
        default: type = "invalid_request_error"
        }
        return .object([("type", "error"), ("error", .object([("type", .string(type)), ("message", .string(message))]))])
    }
}

/// Google's Gemini API.
struct FakeGemini: FakeAPI {
    func wantsStream(_ request: RecordedRequest, _ json: JSONValue) -> Bool { request.path.contains(":streamGenerateContent") }

    func lastUserText(_ json: JSONValue) -> String {
        json["contents"]?.array?.last { $0["role"]?.string != "model" }?["parts"]?[0]?["text"]?.string ?? ""
    }

    func prefill(_ json: JSONValue) -> String? { nil }

    func hasKey(_ request: RecordedRequest, _ key: String) -> Bool {
        request.header("x-goog-api-key") == key || request.path.contains("key=\(key)")
    }

    func streamStart(model: String, ending: FakeEnding) -> [String] { [] }

    func response(_ text: String, model: String, finish: String?, usage: JSONValue?) -> JSONValue {
        var candidate: [(String, JSONValue)] = [("content", .object([("parts", .array([.object([("text", .string(text))])])), ("role", "model")]))]
        if let finish { candidate.append(("finishReason", .string(finish))) }
        candidate.append(("index", 0))
        var members: [(String, JSONValue)] = [("candidates", .array([.object(candidate)]))]
        if let usage { members.append(("usageMetadata", usage)) }
        return .object(members + [("modelVersion", .string(model))])
    }

    func usage(_ ending: FakeEnding) -> JSONValue? {
        ending.sendsUsage ? ending.usage ?? usage(ending.input, ending.output) : nil
    }

    func usage(_ input: Int, _ output: Int?) -> JSONValue {
        var u: [(String, JSONValue)] = [("promptTokenCount", .number(Double(input)))]
        if let output { u.append(("candidatesTokenCount", .number(Double(output)))) }
        u.append(("totalTokenCount", .number(Double(input + (output ?? 0)))))
        return .object(u)
    }

    func streamText(_ text: String, model: String, first: Bool, ending: FakeEnding) -> String {
        // Gemini repeats the prompt's count on every chunk; a server that counts nothing sends none.
        "data: \(response(text, model: model, finish: nil, usage: ending.sendsUsage ? usage(0, nil) : nil).serialized())\r\n\r\n"
    }

    func streamEnd(model: String, ending: FakeEnding) -> [String] {
        if ending.usageLast, let counts = usage(ending) {
            return ["data: \(response("", model: model, finish: ending.finish ?? "STOP", usage: nil).serialized())\r\n\r\n",
                    "data: \(response("", model: model, finish: nil, usage: counts).serialized())\r\n\r\n"]
        }
        return ["data: \(response("", model: model, finish: ending.finish ?? "STOP", usage: usage(ending)).serialized())\r\n\r\n"]
    }

    func streamError() -> String {
        "data: \(errorBody(status: 503, message: "The model is overloaded. Please try again later.").serialized())\r\n\r\n"
    }

    func whole(_ text: String, model: String, ending: FakeEnding) -> JSONValue {
        response(text, model: model, finish: ending.finish ?? "STOP", usage: usage(ending))
    }

    func errorBody(status: Int, message: String) -> JSONValue {
        let name: String
        switch status {
        case 400: name = "INVALID_ARGUMENT"
        case 401: name = "UNAUTHENTICATED"
        case 403: name = "PERMISSION_DENIED"
        case 404: name = "NOT_FOUND"
        case 429: name = "RESOURCE_EXHAUSTED"
        case 503: name = "UNAVAILABLE"
        case 504: name = "DEADLINE_EXCEEDED"
        default: name = "INTERNAL"
        }
        return .object([("error", .object([("code", .number(Double(status))), ("message", .string(message)), ("status", .string(name))]))])
    }
}
