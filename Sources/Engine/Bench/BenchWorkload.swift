import RouterCore

/// What a benchmark sends: `--prompt`, the prompts of a JSONL file, or
/// synthetic text of about `--prompt-tokens`; each request with a random
/// prefix unless `--shared-prefix`, so provider prompt caches cannot flatter
/// the figures. Reproducible from the seed.
public struct BenchWorkload: Sendable {
    /// Fixed conversations to cycle through; nil for synthetic text.
    public var prompts: [[Message]]?
    public var promptTokens: Int
    public var system: String?
    public var maxTokens: Int
    public var temperature: Double?
    /// `--schema`: every answer must validate; those that do not are counted apart.
    public var schema: OutputSchema?
    public var sharedPrefix: Bool
    public var seed: UInt64

    public init(prompts: [[Message]]?, promptTokens: Int, system: String?, maxTokens: Int, temperature: Double?,
                sharedPrefix: Bool, seed: UInt64) {
        self.prompts = prompts
        self.promptTokens = promptTokens
        self.system = system
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.sharedPrefix = sharedPrefix
        self.seed = seed
    }

    public static let words = ["the", "river", "bench", "light", "market", "signal", "garden", "system", "paper", "winter", "engine", "quiet",
                        "number", "forest", "window", "story", "measure", "copper", "travel", "answer", "station", "pattern", "harbor",
                        "language", "morning", "circuit", "orange", "library", "mountain", "kitchen", "thunder", "picture"]

    /// The generator seed of one request: the run's seed, the target and the
    /// index mixed (SplitMix64's finaliser, applied after each part), so that
    /// seeds S and S+1 give unrelated prompts. A plain sum made request i of
    /// seed S+1 request i+1 of seed S, and back-to-back runs met the server's
    /// prompt cache.
    static func requestSeed(_ seed: UInt64, target: Int, index: Int) -> UInt64 {
        func mix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return mix(mix(mix(seed) ^ UInt64(truncatingIfNeeded: target)) ^ UInt64(truncatingIfNeeded: index))
    }

    /// The request numbered `index` (warm-up ones included) for target number `target`.
    public func request(_ index: Int, target: Int) -> ChatRequest {
        var rng = SeededRandom(seed: Self.requestSeed(seed, target: target, index: index))
        var messages: [Message] = []
        if let system { messages.append(Message(role: .system, content: system)) }
        let prefix = sharedPrefix ? "" : "[\(String(rng.next(), radix: 16))] "
        if let prompts, !prompts.isEmpty {
            var chosen = prompts[index % prompts.count]
            if let last = chosen.lastIndex(where: { $0.role == .user }) { chosen[last].content = prefix + chosen[last].content }
            messages += chosen
        } else {
            messages.append(Message(role: .user, content: synthetic(after: prefix, using: &rng)))
        }
        return ChatRequest(messages: messages, maxTokens: maxTokens, temperature: temperature, schema: schema)
    }

    /// `prefix`, then about `promptTokens` tokens of words (about four bytes a token).
    private func synthetic(after prefix: String, using rng: inout SeededRandom) -> String {
        // Built as bytes into one buffer: this runs for every request, at thousands a second.
        let size = prefix.utf8.count + promptTokens * 4
        let lead = "Write about the following words: "
        return String(unsafeUninitializedCapacity: size + lead.utf8.count + 2 * Self.slot) { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            var n = 0
            for b in prefix.utf8 { base[n] = b; n += 1 }
            for b in lead.utf8 { base[n] = b; n += 1 }
            Self.wordSlots.withUnsafeBytes { slots in
                while n < size {
                    // Each word sits in a slot of 16 bytes, its length in the last: copy the
                    // whole slot (the buffer has a slot to spare) and step past the word.
                    let word = Int(rng.next() % UInt64(Self.words.count)) * Self.slot
                    let slot = slots.baseAddress! + word
                    UnsafeMutableRawPointer(base + n).copyMemory(from: slot, byteCount: Self.slot)
                    n += Int(slots[word + Self.slot - 1])
                }
            }
            return n
        }
    }

    /// Bytes given to each word in `wordSlots`.
    public static let slot = 16
    /// Every word followed by a space, each in a 16-byte slot whose last byte is its length.
    public static let wordSlots: [UInt8] = words.flatMap { w -> [UInt8] in
        let bytes = Array((w + " ").utf8)
        precondition(bytes.count < slot, "bench words fit their slots")
        return bytes + [UInt8](repeating: 0, count: slot - 1 - bytes.count) + [UInt8(bytes.count)]
    }

    /// The prompt of the worst case: the largest one sent, in tokens.
    public var worstPromptTokens: Int {
        guard let prompts, !prompts.isEmpty else { return promptTokens + 16 }
        return prompts.map { ChatRequest(messages: $0).estimatedPromptTokens }.max() ?? 0
    }

    /// Reads `--prompts FILE`: one prompt a line, as a JSON string, `{"prompt": …}`,
    /// `{"messages": [...]}` or a messages array.
    public static func prompts(file path: String) throws(Problem) -> [[Message]] {
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path: path, regularOnly: true) } catch { throw .data("cannot read \(path): \(error.message)") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .data("\(path) is not UTF-8 text") }
        var out: [[Message]] = []
        for (n, line) in TextLines.split(text).enumerated() where !line.trimmingWhitespace().isEmpty {
            let json: JSONValue
            do { json = try JSONValue.parse(Array(line.utf8)) } catch { throw .data("\(path):\(n + 1): not JSON (\(error))") }
            if let s = json.string {
                out.append([Message(role: .user, content: s)])
            } else if let s = json["prompt"]?.string {
                out.append([Message(role: .user, content: s)])
            } else if let list = json["messages"]?.array ?? json.array {
                let messages = list.compactMap { m -> Message? in
                    guard let role = m["role"]?.string.flatMap(Role.init(rawValue:)), let content = m["content"]?.string else { return nil }
                    return Message(role: role, content: content)
                }
                guard messages.count == list.count, !messages.isEmpty else {
                    throw .data("\(path):\(n + 1): a message needs a role (system, user or assistant) and text content")
                }
                out.append(messages)
            } else {
                throw .data("\(path):\(n + 1): expected a string, {\"prompt\": …}, {\"messages\": […]} or a messages array")
            }
        }
        guard !out.isEmpty else { throw .data("\(path) holds no prompt") }
        return out
    }
}
