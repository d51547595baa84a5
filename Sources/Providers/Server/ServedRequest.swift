import RouterCore

/// A request a client sent to the gateway, in llmr's terms: what it names
/// (a route, a task, a catalog model or `provider/model-id`), the chat
/// request, and how it wants the answer.
public struct ServedRequest: Sendable, Equatable {
    public var model: String
    public var request: ChatRequest
    public var stream: Bool
    /// OpenAI's `stream_options.include_usage`: a last chunk with the token counts.
    public var includeUsage = false

    public init(model: String, request: ChatRequest, stream: Bool, includeUsage: Bool = false) {
        self.model = model
        self.request = request
        self.stream = stream
        self.includeUsage = includeUsage
    }
}

/// A request the gateway refuses, with the HTTP status to answer and what
/// is wrong, said in the client's own format.
public struct ClientError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    /// The request field at fault (OpenAI's `param`), when there is one.
    public var param: String?

    public init(status: Int, _ message: String, param: String? = nil) {
        self.status = status
        self.message = message
        self.param = param
    }

    static func bad(_ message: String, param: String? = nil) -> ClientError { ClientError(status: 400, message, param: param) }
}

/// What a gateway answers for a request whose every candidate failed: the
/// status, and the seconds a client should wait (`Retry-After`) when waiting helps.
public enum ServedFailure {
    public static func status(_ failure: RouteFailure) -> Int {
        switch failure.kind {
        case .temporary, .budget: return 429
        case .tooLarge: return 400
        case .interrupted: return 503
        case .exhausted, .credentials, .invalidOutput: return 502
        }
    }

    /// The longest wait a provider asked for, rounded up to whole seconds, when the failure is temporary.
    public static func retryAfter(_ result: RouteResult) -> Int? {
        guard result.failure?.kind == .temporary else { return nil }
        let waits = result.attempts.compactMap(\.retryAfterS).filter { $0.isFinite && $0 >= 0 }
        return Int((waits.max() ?? 1).rounded(.up))
    }
}

/// The pieces both request decoders share.
enum ServedFields {
    /// The text of a message's `content`: a string, or an array of text parts
    /// (`{"type":"text","text":…}`); anything else is not for a text gateway.
    static func text(_ content: JSONValue?, at field: String) throws(ClientError) -> String {
        switch content {
        case .string(let s)?: return s
        case .array(let parts)?:
            var text = ""
            for (i, part) in parts.enumerated() {
                guard part["type"]?.string == "text", let t = part["text"]?.string else {
                    let kind = part["type"]?.string.map { "'\($0)'" } ?? "this"
                    throw .bad("\(field)[\(i)]: \(kind) content is not supported; llmr serve relays text", param: field)
                }
                text += t
            }
            return text
        case nil, .null?: throw .bad("\(field) is missing", param: field)
        default: throw .bad("\(field) must be a string or an array of text parts", param: field)
        }
    }

    static func maxTokens(_ value: JSONValue?, field: String) throws(ClientError) -> Int? {
        guard let value, value != .null else { return nil }
        guard let n = value.int, ConfigLimits.maxTokens.contains(n) else {
            throw .bad("\(field) must be a whole number from \(ConfigLimits.maxTokens.lowerBound) to \(ConfigLimits.maxTokens.upperBound)", param: field)
        }
        return n
    }

    static func temperature(_ value: JSONValue?, upTo max: Double) throws(ClientError) -> Double? {
        guard let value, value != .null else { return nil }
        guard let t = value.double, t.isFinite, t >= 0, t <= max else {
            throw .bad("temperature must be a number from 0 to \(NumberText.plain(max))", param: "temperature")
        }
        return t
    }

    static func stop(_ value: JSONValue?, field: String) throws(ClientError) -> [String] {
        switch value {
        case nil, .null?: return []
        case .string(let s)?: return [s]
        case .array(let items)?:
            var out: [String] = []
            for item in items {
                guard let s = item.string else { throw .bad("\(field) must be a string or an array of strings", param: field) }
                out.append(s)
            }
            return out
        default: throw .bad("\(field) must be a string or an array of strings", param: field)
        }
    }

    static func schema(_ document: JSONValue, name: String?, field: String) throws(ClientError) -> OutputSchema {
        do {
            var schema = OutputSchema(try JSONSchema(document))
            if let name, !name.isEmpty { schema.name = name }
            return schema
        } catch {
            throw .bad("\(field) cannot be used: \(error)", param: field)
        }
    }

    /// The body as a JSON object, or a 400 that says why not.
    static func object(_ body: [UInt8]) throws(ClientError) -> JSONValue {
        let json: JSONValue
        do { json = try JSONValue.parse(body) } catch { throw .bad("the request body is not JSON: \(error)") }
        guard case .object = json else { throw .bad("the request body must be a JSON object") }
        return json
    }

    static func model(_ json: JSONValue) throws(ClientError) -> String {
        guard let m = json["model"]?.string, !m.trimmingWhitespace().isEmpty else {
            throw .bad("model is required: a route, a task, a catalog model or provider/model-id", param: "model")
        }
        return m
    }

    static func flag(_ value: JSONValue?, field: String) throws(ClientError) -> Bool {
        switch value {
        case nil, .null?: return false
        case .bool(let b)?: return b
        default: throw .bad("\(field) must be true or false", param: field)
        }
    }
}
