/// A conversation as `chat` and `ask -c` keep it: an optional system prompt
/// and the completed turns, oldest first. A turn that failed or was
/// interrupted is never part of it.
public struct Conversation: Sendable, Equatable {
    /// One completed exchange.
    public struct Turn: Sendable, Equatable {
        public var user: String
        public var assistant: String

        public init(user: String, assistant: String) {
            self.user = user
            self.assistant = assistant
        }
    }

    public var system: String?
    public var turns: [Turn]

    public init(system: String? = nil, turns: [Turn] = []) {
        self.system = system
        self.turns = turns
    }

    /// The request for the next turn: the system prompt, every earlier turn, then `user`.
    public func request(adding user: String, maxTokens: Int? = nil, temperature: Double? = nil) -> ChatRequest {
        var messages: [Message] = []
        if let system, !system.isEmpty { messages.append(Message(role: .system, content: system)) }
        for t in turns {
            messages.append(Message(role: .user, content: t.user))
            messages.append(Message(role: .assistant, content: t.assistant))
        }
        messages.append(Message(role: .user, content: user))
        return ChatRequest(messages: messages, maxTokens: maxTokens, temperature: temperature)
    }

    /// Drops the oldest turns, keeping the system prompt, until the next
    /// request with `user` is estimated to fit `window` tokens (with
    /// `maxTokens` of room for the answer). Returns how many turns went.
    @discardableResult
    public mutating func trimOldest(toFit window: Int, adding user: String, maxTokens: Int?) -> Int {
        var dropped = 0
        while !turns.isEmpty, request(adding: user).estimatedPromptTokens + (maxTokens ?? 0) > window {
            turns.removeFirst()
            dropped += 1
        }
        return dropped
    }

    /// What to do when the next request is larger than every candidate's
    /// context window: the conversation is never cut silently.
    public enum Fit: Sendable, Equatable {
        /// It fits (or some candidate's window is unknown): send it.
        case fits
        /// The oldest turns were dropped (chat.trim: oldest) so that it fits.
        case trimmed(dropped: Int, window: Int)
        /// It does not fit and trimming is not allowed, or (`alone`) the message
        /// would not fit even with every earlier turn dropped.
        case tooLarge(tokens: Int, window: Int, alone: Bool)
    }

    /// Makes the next request with `user` fit the largest of `windows` (nil
    /// when a candidate's window is unknown), trimming when `trim` allows.
    /// With trimming, a message that fits no window even alone is refused
    /// before anything is dropped.
    public mutating func fit(adding user: String, maxTokens: Int?, windows: [Int?], trim: Bool) -> Fit {
        guard !windows.isEmpty, windows.allSatisfy({ $0 != nil }), let largest = windows.compactMap({ $0 }).max() else { return .fits }
        let needed = request(adding: user).estimatedPromptTokens + (maxTokens ?? 0)
        guard needed > largest else { return .fits }
        guard trim else { return .tooLarge(tokens: needed, window: largest, alone: false) }
        if Conversation(system: system).request(adding: user).estimatedPromptTokens + (maxTokens ?? 0) > largest {
            // Dropping every turn would not help: nothing is dropped.
            return .tooLarge(tokens: needed, window: largest, alone: true)
        }
        return .trimmed(dropped: trimOldest(toFit: largest, adding: user, maxTokens: maxTokens), window: largest)
    }
}
