/// The response cache (`cache:`): whole answers kept in the shared state,
/// replayed for the same request, so CI can run fast, free and deterministic.
public enum CacheMode: String, Sendable, Equatable, CaseIterable {
    case off
    /// Replay a hit; send a miss and keep its whole answer.
    case readWrite = "read-write"
    /// Replay a hit; a miss sends nothing (exit 69).
    case readOnly = "read-only"
    /// Always send; keep the whole answer.
    case writeOnly = "write-only"

    public var reads: Bool { self == .readWrite || self == .readOnly }
    public var writes: Bool { self == .readWrite || self == .writeOnly }
}

/// The `cache:` section.
public struct CacheConfig: Sendable, Equatable {
    public var mode: CacheMode = .off
    /// How long an entry answers, in seconds.
    public var ttl: Double = 7 * 86_400
    /// Kept in the shared state (Redis, `state.shared`) rather than this machine's file.
    public var shared = false

    public init() {}
}

/// A request in canonical form: what the answer depends on — the route or
/// model it goes through, the system prompt, every message, temperature, max
/// tokens, seed and output schema — never keys, headers, tags or time. Equal requests have
/// equal text; the hash finds the entry, the text makes sure it is the one.
public struct CacheKey: Sendable, Equatable {
    public let text: String
    public let hash: Int64

    public init(selection: String, request: ChatRequest, seed: UInt64?) {
        // Keys in a fixed order, compact: the same request gives the same bytes whatever produced it.
        var members: [(String, JSONValue)] = []
        if let m = request.maxTokens { members.append(("max_tokens", .number(Double(m)))) }
        members.append(("messages", .array(request.messages.map { .object([("content", .string($0.content)), ("role", .string($0.role.rawValue))]) })))
        // The schema's own key order and white space change nothing.
        if let s = request.schema { members.append(("schema", s.document.sortingKeys())) }
        if let s = seed { members.append(("seed", .string(String(s)))) }
        members.append(("selection", .string(selection)))
        if !request.stop.isEmpty { members.append(("stop", .array(request.stop.map { .string($0) }))) }
        if let t = request.temperature { members.append(("temperature", .number(t))) }
        self.init(canonical: JSONValue.object(members).serialized())
    }

    /// A key from its canonical text, as the cache keeps it.
    public init(canonical text: String) {
        self.text = text
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        hash = Int64(bitPattern: h)
    }

    /// A line for `cache list` and a read-only miss: the last message, shortened.
    public var summary: String {
        guard let json = try? JSONValue.parse(text), let last = json["messages"]?.array?.last?["content"]?.string else { return "?" }
        let flat = last.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 60 ? String(flat.prefix(57)) + "..." : flat
    }
}

/// A kept answer.
public struct CachedAnswer: Sendable, Equatable {
    public var text: String
    public var provider: String
    public var model: String
    public var modelID: String
    public var usage: Usage?
    /// Seconds since the epoch.
    public var storedAt: Double

    public init(text: String, provider: String, model: String, modelID: String, usage: Usage?, storedAt: Double) {
        self.text = text
        self.provider = provider
        self.model = model
        self.modelID = modelID
        self.usage = usage
        self.storedAt = storedAt
    }

    /// The answer of `result` when it may be kept: whole (no failure, its end
    /// marker seen, finish reason stop), never broken off, continued or empty.
    public static func storable(_ result: RouteResult, at now: Double) -> CachedAnswer? {
        guard result.failure == nil, !result.brokenOff, !result.continued, let text = result.text, !text.isEmpty,
              let provider = result.provider, let model = result.model else { return nil }
        if let finish = result.finish, finish.reason != .stop { return nil }
        return CachedAnswer(text: text, provider: provider, model: model, modelID: result.modelID ?? model,
                            usage: result.usage, storedAt: now)
    }
}

/// What the cache holds.
public struct CacheStats: Sendable, Equatable {
    public var entries = 0
    /// Answer and request text, in bytes.
    public var bytes = 0
    /// Entries past the TTL (misses until pruned or written again).
    public var expired = 0
    public var oldest: Double?
    public var newest: Double?

    public init() {}
}

/// One entry as `cache list` shows it.
public struct CacheEntrySummary: Sendable, Equatable {
    public var key: CacheKey
    public var answer: CachedAnswer

    public init(key: CacheKey, answer: CachedAnswer) {
        self.key = key
        self.answer = answer
    }
}

/// The response cache in the shared state.
public protocol ResponseCache: Sendable {
    /// The answer kept for `key`, when it is younger than `ttl`.
    func cached(_ key: CacheKey, now: Double, ttl: Double) throws(StateFailure) -> CachedAnswer?
    /// Keeps `answer` for `key`, replacing what was there.
    func keep(_ key: CacheKey, _ answer: CachedAnswer) throws(StateFailure)
    func cacheStats(now: Double, ttl: Double) throws(StateFailure) -> CacheStats
    /// Entries, the newest first.
    func cacheEntries(limit: Int) throws(StateFailure) -> [CacheEntrySummary]
    /// Removes entries stored before `before` (everything when nil); how many.
    func dropCache(before: Double?) throws(StateFailure) -> Int
}
