import RouterCore
internal import CSQLite

/// Chat sessions beside the attempt log: a session is saved with its first
/// turn, and every turn in one transaction with the attempts that made it.
extension AttemptLog {
    /// Records `result`'s attempts and, when it answered, the turn (`user`, the
    /// answer) as the next of session `name`, created if new; returns the turn's number.
    @discardableResult
    public func recordTurn(session name: String, system: String?, user: String, result: RouteResult, requestID: String,
                           at time: Double, breaker: Breaker?) throws(Failure) -> Int? {
        /// A stored turn number that no next number can follow (a damaged database): the attempts are kept, the turn is not.
        var exhausted = false
        let turn: Int?
        do {
            turn = try queue.write { db -> Int? in
                let ids = try Self.insert(db, result, requestID: requestID, at: time, breaker: breaker, owner: owner, content: nil)
                guard result.failure == nil, let answer = result.text else { return nil }
                // The next number is taken inside the write transaction: concurrent writers queue up, none collides.
                let next = (try db.int("SELECT max(turn) FROM turns WHERE session = ? AND turn > 0", [name]) ?? 0).addingReportingOverflow(1)
                guard !next.overflow else {
                    exhausted = true
                    return nil
                }
                try db.execute(sql: """
                    INSERT INTO sessions (name, created, updated, system) VALUES (?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET updated = excluded.updated, system = excluded.system
                    """, arguments: [name, time, time, system.map(Secrets.redact)])
                // Turns are numbered in the order they are saved; a turn sent earlier that
                // took longer is stamped no earlier than the turn saved before it.
                let stamp = max(time, try db.double("SELECT max(CAST(at AS REAL)) FROM turns WHERE session = ?", [name]) ?? time)
                try db.execute(sql: """
                    INSERT INTO turns (session, turn, at, user, assistant, provider, model, cost_usd, input_tokens, output_tokens, attempt_ids)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [name, next.partialValue, stamp.isFinite ? stamp : time, Secrets.redact(user), Secrets.redact(answer), result.provider, result.model,
                                     result.costUSD, result.usage?.inputTokens, result.usage?.outputTokens,
                                     ids.map(String.init).joined(separator: ",")])
                return next.partialValue
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
        truncateWALIfLong()
        if exhausted {
            throw Failure(path: path, reason: "session '\(name)' holds a turn numbered \(Int.max), so no turn can follow it "
                          + "(this turn's attempts were recorded); start another session")
        }
        return turn
    }

    /// A session's system prompt and turns, oldest first; nil when there is no such session.
    public func session(_ name: String) throws(Failure) -> (system: String?, turns: [SavedTurn], takenBackUSD: Double)? {
        do {
            return try queue.read { db in
                var found = false
                var system: String?
                try db.each(sql: "SELECT CAST(system AS TEXT) FROM sessions WHERE name = ?", arguments: [name]) { row in
                    found = true
                    system = row.optionalString(0)
                }
                guard found else { return nil }
                var turns: [SavedTurn] = []
                try db.each(sql: """
                    SELECT CAST(turn AS INTEGER), CAST(at AS REAL), CAST(user AS TEXT), CAST(assistant AS TEXT),
                           CAST(provider AS TEXT), CAST(model AS TEXT), CAST(cost_usd AS REAL)
                    FROM turns WHERE session = ? AND turn > 0 ORDER BY turn
                    """, arguments: [name]) { r in
                    turns.append(SavedTurn(turn: r.int(0), at: r.double(1), user: r.string(2), assistant: r.string(3),
                                           provider: r.optionalString(4), model: r.optionalString(5), costUSD: r.optionalDouble(6)))
                }
                let takenBack = try db.double("SELECT sum(CAST(cost_usd AS REAL)) FROM turns WHERE session = ? AND turn <= 0", [name])
                return (system, turns, takenBack ?? 0)
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Takes one saved turn out of the conversation (a `/retry` replaces it):
    /// it is kept under a number of 0 or below, out of the conversation but
    /// in the session's cost; its attempts stay in the log.
    public func deleteTurn(session name: String, turn: Int) throws(Failure) {
        do {
            try queue.write { db in
                try db.execute(sql: """
                    UPDATE turns SET turn = (SELECT min(0, ifnull(min(turn), 0)) - 1 FROM turns WHERE session = ?1)
                    WHERE session = ?1 AND turn = ?2 AND turn > 0
                    """, arguments: [name, turn])
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Claims `name` for a new session: a row with no turn yet, which the first
    /// turn fills in. Exactly one of many processes claiming one name gets it.
    public func claimSession(_ name: String, at time: Double) throws(Failure) -> Bool {
        do {
            return try queue.write { db in
                try db.execute(sql: "INSERT OR IGNORE INTO sessions (name, created, updated) VALUES (?, ?, ?)", arguments: [name, time, time])
                return db.changesCount == 1
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Every session with at least one turn (a bare claim is no conversation), the most recently used first.
    public func sessions() throws(Failure) -> [SessionSummary] {
        do {
            return try queue.read { db in
                var out: [SessionSummary] = []
                try db.each(sql: """
                    SELECT CAST(s.name AS TEXT), count(CASE WHEN t.turn > 0 THEN 1 END), CAST(s.updated AS REAL),
                           sum(CAST(t.cost_usd AS REAL))
                    FROM sessions s LEFT JOIN turns t ON t.session = s.name
                    WHERE s.name IS NOT NULL GROUP BY s.name HAVING count(CASE WHEN t.turn > 0 THEN 1 END) > 0
                    ORDER BY s.updated DESC, s.name
                    """) { r in
                    out.append(SessionSummary(name: r.string(0), turns: r.int(1), lastUsed: r.double(2), costUSD: r.double(3)))
                }
                return out
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Renames a saved session; false when there is none by `old` name.
    /// Throws when `new` is taken.
    public func renameSession(_ old: String, to new: String) throws(Failure) -> Bool {
        do {
            return try queue.write { db in
                guard try db.int("SELECT count(*) FROM sessions WHERE name = ?", [old]) == 1 else { return false }
                try db.execute(sql: "UPDATE sessions SET name = ? WHERE name = ?", arguments: [new, old])
                try db.execute(sql: "UPDATE turns SET session = ? WHERE session = ?", arguments: [new, old])
                return true
            }
        } catch let e as SQLiteError where e.primary == SQLITE_CONSTRAINT {
            throw Failure(path: path, reason: "a session named '\(new)' already exists")
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }
}
