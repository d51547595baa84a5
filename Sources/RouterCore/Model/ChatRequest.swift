/// Who said a message in a conversation.
public enum Role: String, Sendable, Equatable {
    case system
    case user
    case assistant
}

/// One message of a conversation, in the form every wire format starts from.
public struct Message: Sendable, Equatable {
    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// A chat request as the user asked for it, before any provider is chosen.
public struct ChatRequest: Sendable, Equatable {
    public var messages: [Message]
    public var maxTokens: Int?
    public var temperature: Double?
    /// `--schema`: the answer must be JSON that validates against it.
    public var schema: OutputSchema?
    /// Text at which the provider stops generating (the gateway's clients send it).
    public var stop: [String] = []

    public init(messages: [Message], maxTokens: Int? = nil, temperature: Double? = nil, schema: OutputSchema? = nil, stop: [String] = []) {
        self.messages = messages
        self.stop = stop
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.schema = schema
    }

    /// The request as `provider` receives it: with `structured_output: prompt`
    /// the schema goes into the system prompt, and the wire sends no native form.
    public func sent(to provider: ProviderConfig) -> ChatRequest {
        guard let schema, provider.structuredOutput == .prompt else { return self }
        var r = self
        r.schema = nil
        let at = r.messages.lastIndex { $0.role == .system }.map { $0 + 1 } ?? 0
        r.messages.insert(Message(role: .system, content: schema.instruction), at: at)
        return r
    }

    /// The system prompt, if any (wire formats that keep it apart need it alone).
    public var systemPrompt: String? {
        let parts = messages.filter { $0.role == .system }.map(\.content)
        return parts.isEmpty ? nil : parts.joined(separator: "\n\n")
    }

    /// A rough prompt size in tokens: about four bytes of UTF-8 a token.
    public var estimatedPromptTokens: Int {
        messages.reduce(0) { $0 + ($1.content.utf8.count + 3) / 4 + 4 }
    }
}

/// Token counts reported by a provider for one answer (or estimated, when it reported none).
///
/// Normalized across APIs: `inputTokens` counts every prompt token, cached
/// ones included, and `outputTokens` every generated token, reasoning
/// included; the other counts say how many of those were of each kind.
public struct Usage: Sendable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int
    /// Of the input, tokens read from the provider's prompt cache.
    public var cachedInputTokens: Int?
    /// Of the input, tokens written to the prompt cache (Anthropic's cache creation).
    public var cacheWriteTokens: Int?
    /// Of the output, reasoning ("thinking") tokens.
    public var reasoningTokens: Int?
    /// The provider reported no usage; these are llmr's estimates.
    public var estimated: Bool

    public init(inputTokens: Int, outputTokens: Int, cachedInputTokens: Int? = nil, cacheWriteTokens: Int? = nil,
                reasoningTokens: Int? = nil, estimated: Bool = false) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.reasoningTokens = reasoningTokens
        self.estimated = estimated
    }

    /// Both usages together (the attempts of one request).
    public static func + (a: Usage, b: Usage) -> Usage {
        func sum(_ x: Int?, _ y: Int?) -> Int? { x == nil && y == nil ? nil : (x ?? 0) + (y ?? 0) }
        return Usage(inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens,
                     cachedInputTokens: sum(a.cachedInputTokens, b.cachedInputTokens),
                     cacheWriteTokens: sum(a.cacheWriteTokens, b.cacheWriteTokens),
                     reasoningTokens: sum(a.reasoningTokens, b.reasoningTokens), estimated: a.estimated || b.estimated)
    }

    /// llmr's estimate for an answer the provider reported no usage for: about four bytes a token.
    public static func estimate(prompt: ChatRequest, answerBytes: Int) -> Usage {
        Usage(inputTokens: prompt.estimatedPromptTokens, outputTokens: (answerBytes + 3) / 4, estimated: true)
    }
}

/// Why a provider stopped producing text.
public enum FinishReason: String, Sendable, Equatable {
    case stop
    case length
    case contentFilter = "content_filter"
    case toolCalls = "tool_calls"
    case other
}

/// A finish reason as llmr normalizes it, with the provider's own word for it.
public struct Finish: Sendable, Equatable {
    public var reason: FinishReason
    /// What the server sent (`max_tokens`, `MAX_TOKENS`, `length`, …).
    public var raw: String

    public init(_ reason: FinishReason, raw: String) {
        self.reason = reason
        self.raw = raw
    }

    /// Said on stderr when an answer ended for another reason than its natural end.
    public var notice: String? {
        switch reason {
        case .stop: return nil
        case .length: return "the answer was cut by the token limit (finish reason length, '\(raw)'); raise --max-tokens for more"
        case .contentFilter: return "the answer was cut by the provider's content filter (finish reason content_filter, '\(raw)')"
        case .toolCalls: return "the model asked to call a tool, which llmr does not do (finish reason tool_calls, '\(raw)')"
        case .other: return "the answer ended for a reason llmr does not know (finish reason other, '\(raw)')"
        }
    }
}
