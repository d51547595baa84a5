import RouterCore

/// The response cache: one row per request, its canonical text beside its
/// hash (the hash finds the row, the text makes sure it is the one). Keeping
/// replaces an entry in one write transaction, so concurrent writers leave one.
extension AttemptLog {
    static let cacheColumns = "CAST(request AS TEXT), CAST(answer AS TEXT), CAST(provider AS TEXT), CAST(model AS TEXT), CAST(model_id AS TEXT), input_tokens, output_tokens, CAST(stored_at AS REAL)"

    public func cached(_ key: CacheKey, now: Double, ttl: Double) throws(Failure) -> CachedAnswer? {
        do {
            let (found, damaged) = try queue.read { db in
                var found: CachedAnswer?
                var damaged = false
                try db.each(sql: "SELECT \(Self.cacheColumns) FROM cache WHERE hash = ? AND stored_at > ?", arguments: [key.hash, now - ttl]) { row in
                    guard found == nil, row.optionalString(0) == key.text else { return }
                    if let entry = Self.answer(row) { found = entry } else { damaged = true }
                }
                return (found, damaged)
            }
            // A damaged entry is a miss, said, never a wrong answer.
            if found == nil, damaged { throw SQLiteError(code: 11, message: "the entry for this request is damaged") }
            return found
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    public func keep(_ key: CacheKey, _ answer: CachedAnswer) throws(Failure) {
        do {
            try queue.write { db in
                try db.execute(sql: "DELETE FROM cache WHERE hash = ? AND request = ?", arguments: [key.hash, key.text])
                try db.execute(sql: """
                    INSERT INTO cache (hash, request, answer, provider, model, model_id, input_tokens, output_tokens, stored_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [key.hash, key.text, answer.text, answer.provider, answer.model, answer.modelID,
                                     answer.usage?.inputTokens, answer.usage?.outputTokens, answer.storedAt])
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    public func cacheStats(now: Double, ttl: Double) throws(Failure) -> CacheStats {
        do {
            return try queue.read { db in
                var s = CacheStats()
                try db.each(sql: """
                    SELECT count(*), ifnull(sum(length(CAST(request AS BLOB)) + length(CAST(answer AS BLOB))), 0),
                           count(CASE WHEN stored_at <= ? THEN 1 END), min(stored_at), max(stored_at) FROM cache
                    """, arguments: [now - ttl]) { row in
                    s.entries = row.int(0)
                    s.bytes = row.int(1)
                    s.expired = row.int(2)
                    s.oldest = row.optionalDouble(3)
                    s.newest = row.optionalDouble(4)
                }
                return s
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    public func cacheEntries(limit: Int) throws(Failure) -> [CacheEntrySummary] {
        do {
            return try queue.read { db in
                var out: [CacheEntrySummary] = []
                try db.each(sql: "SELECT \(Self.cacheColumns), hash FROM cache ORDER BY stored_at DESC LIMIT ?", arguments: [limit]) { row in
                    guard let text = row.optionalString(0), let answer = Self.answer(row) else { return }
                    out.append(CacheEntrySummary(key: CacheKey(canonical: text), answer: answer))
                }
                return out
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    public func dropCache(before: Double?) throws(Failure) -> Int {
        do {
            return try queue.write { db in
                if let before { try db.execute(sql: "DELETE FROM cache WHERE stored_at < ?", arguments: [before]) }
                else { try db.execute(sql: "DELETE FROM cache") }
                return db.changesCount
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// An entry from its row; nil for one that does not hold together (a damaged entry is a miss).
    static func answer(_ row: SQLiteRow) -> CachedAnswer? {
        // The answer must be the bytes that were kept: text that is not UTF-8 is damage, not something to repair.
        guard !row.isNull(1), let text = String(validating: row.bytes(1), as: UTF8.self),
              let provider = row.optionalString(2), let model = row.optionalString(3), !row.isNull(7) else { return nil }
        let at = row.double(7)
        guard at.isFinite else { return nil }
        var usage: Usage?
        if let i = row.optionalInt(5), let o = row.optionalInt(6), i >= 0, o >= 0 { usage = Usage(inputTokens: i, outputTokens: o) }
        return CachedAnswer(text: text, provider: provider, model: model, modelID: row.optionalString(4) ?? model, usage: usage, storedAt: at)
    }
}
