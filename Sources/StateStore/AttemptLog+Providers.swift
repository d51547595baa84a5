import RouterCore

/// What `llmr providers` reads and writes: recent latency, health checks, pruning.
extension AttemptLog {
    /// The median latency, in milliseconds, of each provider's last 100 answers.
    public func latencyP50(providers: [String]) throws(Failure) -> [String: Int] {
        do {
            return try queue.read { db in
                var out: [String: Int] = [:]
                for p in providers {
                    let times = try db.ints("""
                        SELECT CAST(latency_ms AS INTEGER) FROM attempts WHERE provider = ? AND outcome = 'ok' AND route IS NOT '\(RecordedRoute.check)' AND latency_ms IS NOT NULL
                        ORDER BY id DESC LIMIT 100
                        """, [p]).sorted()
                    if !times.isEmpty { out[p] = times[(times.count - 1) / 2] }
                }
                return out
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// The kept prompts and answers (config `log: {content: true}`), oldest first.
    public func contents() throws(Failure) -> [(prompt: String, answer: String?)] {
        do {
            return try queue.read { db in
                var out: [(prompt: String, answer: String?)] = []
                try db.each(sql: "SELECT CAST(prompt AS TEXT), CAST(answer AS TEXT) FROM contents ORDER BY at, rowid") { row in
                    out.append((row.string(0), row.optionalString(1)))
                }
                return out
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Rows one pruning transaction deletes: small enough that the write lock
    /// is held for a fraction of the busy timeout, so a concurrent `ask` still records.
    static let pruneBatch = 20_000

    /// Deletes attempts (and kept contents) older than `before` (seconds since
    /// the epoch), a batch per transaction; returns how many attempts.
    public func prune(before: Double) throws(Failure) -> Int {
        do {
            var deleted = 0
            for table in ["attempts", "contents"] {
                while true {
                    let n = try queue.write { db in
                        try db.execute(sql: "DELETE FROM \(table) WHERE rowid IN (SELECT rowid FROM \(table) WHERE at < ? LIMIT ?)",
                                       arguments: [before, Self.pruneBatch])
                        return db.changesCount
                    }
                    if table == "attempts" { deleted += n }
                    if n < Self.pruneBatch { break }
                }
            }
            truncateWALIfLong()
            return deleted
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }
}
