import RouterCore

/// `llmr cache export` and `import`: the cache as JSON lines, one entry a
/// line, sorted by request, so a recorded suite diffs cleanly in review.
public enum CacheTransfer {
    /// Writes every entry to `path`; how many.
    public static func export(_ store: any ResponseCache, to path: String) throws(Problem) -> Int {
        let entries: [CacheEntrySummary]
        do { entries = try store.cacheEntries(limit: Int.max) } catch {
            throw Problem(.state, "the response cache cannot be read: \(error.reason)")
        }
        var out = ""
        for e in entries.sorted(by: { $0.key.text < $1.key.text }) {
            let request = (try? JSONValue.parse(e.key.text)) ?? .string(e.key.text)
            let usage: JSONValue = e.answer.usage.map {
                .object([("input_tokens", .number(Double($0.inputTokens))), ("output_tokens", .number(Double($0.outputTokens)))])
            } ?? .null
            out += JSONValue.object([
                ("request", request), ("summary", .string(e.key.summary)), ("answer", .string(e.answer.text)), ("usage", usage),
                ("provider", .string(e.answer.provider)), ("model", .string(e.answer.model)), ("model_id", .string(e.answer.modelID)),
                ("stored_at", .string(Timestamp.iso(e.answer.storedAt))),
            ]).serialized() + "\n"
        }
        do { try FileIO.writeAtomically(path, Array(out.utf8)) } catch { throw Problem(.input, error.message) }
        return entries.count
    }

    /// Merges the entries of `path` (a newer entry already kept for a request stays); how many were taken.
    /// A line that is not an entry refuses the whole file, naming the line: nothing is half imported.
    public static func `import`(_ store: any ResponseCache, from path: String) throws(Problem) -> (taken: Int, kept: Int) {
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path: path, regularOnly: true) } catch { throw Problem(.input, "cannot read \(path): \(error.message)") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Problem(.input, "\(path) is not UTF-8 text") }
        var entries: [(CacheKey, CachedAnswer)] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let json = try? JSONValue.parse(String(line)), case .object = json["request"] ?? .null,
                  let request = json["request"], let answer = json["answer"]?.string, let provider = json["provider"]?.string,
                  let model = json["model"]?.string, let at = json["stored_at"]?.string.flatMap({ RetryAfter.rfc3339($0) }) else {
                throw Problem(.input, "\(path):\(i + 1): not a cache entry (request, answer, provider, model and stored_at are needed); nothing was imported")
            }
            var usage: Usage?
            if let u = json["usage"], let input = u["input_tokens"]?.count, let output = u["output_tokens"]?.count {
                usage = Usage(inputTokens: input, outputTokens: output)
            }
            entries.append((CacheKey(canonical: request.serialized()),
                            CachedAnswer(text: answer, provider: provider, model: model, modelID: json["model_id"]?.string ?? model,
                                         usage: usage, storedAt: at)))
        }
        var taken = 0
        do {
            for (key, answer) in entries {
                if let existing = try store.cached(key, now: answer.storedAt, ttl: .infinity), existing.storedAt > answer.storedAt { continue }
                try store.keep(key, answer)
                taken += 1
            }
        } catch {
            throw Problem(.state, "the response cache cannot be written: \(error.reason)")
        }
        return (taken, entries.count - taken)
    }
}
