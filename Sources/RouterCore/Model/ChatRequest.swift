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

    public init(messages: [Message], maxTokens: Int? = nil, temperature: Double? = nil) {
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
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

/// Token counts reported by a provider for one answer.
public struct Usage: Sendable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int, outputTokens: Int) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
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
