import RouterCore

/// The budgets' ledger: one row per budget per reservation, pending until the
/// attempt settles it with its real cost. A reservation checks and writes in
/// one write transaction (BEGIN IMMEDIATE), so concurrent processes can never
/// both take a budget's last dollar.
extension AttemptLog {
    public func reserve(_ amount: Double, against budgets: [BudgetConfig], expires: Double, now: Double) throws(Failure) -> BudgetReservation {
        do {
            return try queue.write { db in try Self.reserve(db, amount, against: budgets, expires: expires, now: now) }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Reservation and slot in one write transaction: both or neither.
    public func admit(_ amount: Double, against budgets: [BudgetConfig], expires: Double, windows: [RateWindow], tokens: Int,
                      now: Double) throws(Failure) -> (BudgetReservation?, SlotGrant?) {
        do {
            return try queue.write { db in
                // Windows first: a full one must leave no reservation behind.
                if !windows.isEmpty, let full = try Self.fullWindow(db, windows, tokens: tokens, now: now) { return (nil, full) }
                var reservation: BudgetReservation?
                if !budgets.isEmpty {
                    let r = try Self.reserve(db, amount, against: budgets, expires: expires, now: now)
                    if case .over = r { return (r, nil) }
                    reservation = r
                }
                let slot = windows.isEmpty ? nil : SlotGrant.granted(id: try Self.count(db, windows, tokens: tokens, now: now))
                return (reservation, slot)
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Settlement and token correction in one write transaction.
    public func settle(reservation: Int64?, cost: Double, slot: Int64?, tokens: Int?, now: Double) throws(Failure) {
        guard reservation != nil || (slot != nil && tokens != nil) else { return }
        do {
            try queue.write { db in
                if let reservation {
                    try db.execute(sql: "UPDATE spend SET amount = ?, pending = 0 WHERE reservation = ?",
                                   arguments: [cost.isFinite ? max(0, cost) : 0, reservation])
                }
                if let slot, let tokens { try db.execute(sql: "UPDATE sends SET tokens = ? WHERE id = ?", arguments: [max(0, tokens), slot]) }
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    static func reserve(_ db: SQLiteDatabase, _ amount: Double, against budgets: [BudgetConfig], expires: Double, now: Double) throws -> BudgetReservation {
        // A reservation whose process died lapses at its expiry (the usage leaves it out).
        for b in budgets {
            let u = try Self.usage(db, of: b, now: now)
            if !u.admits(amount) { return .over(u) }
        }
        let id = Int64(try db.int("SELECT ifnull(max(reservation), 0) + 1 FROM spend") ?? 1)
        for b in budgets {
            try db.execute(sql: "INSERT INTO spend (reservation, budget, at, amount, pending, expires) VALUES (?, ?, ?, ?, 1, ?)",
                           arguments: [id, b.name, now, amount, expires])
            // Now and then, rows that left the window or lapsed go: the ledger stays small.
            if id % 64 == 0 {
                try db.execute(sql: "DELETE FROM spend WHERE budget = ? AND (at <= ? OR (pending = 1 AND expires <= ?))",
                               arguments: [b.name, now - b.per, now])
            }
        }
        return .reserved(id: id)
    }

    public func settle(_ id: Int64, cost: Double, now: Double) throws(Failure) {
        try settle(reservation: id, cost: cost, slot: nil, tokens: nil, now: now)
    }

    public func usage(of budgets: [BudgetConfig], now: Double) throws(Failure) -> [BudgetUsage] {
        do {
            return try queue.read { db in try budgets.map { b in try Self.usage(db, of: b, now: now) } }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    static func usage(_ db: SQLiteDatabase, of b: BudgetConfig, now: Double) throws -> BudgetUsage {
        var u = BudgetUsage(budget: b, spent: 0, reserved: 0, nextRelease: nil)
        try db.each(sql: """
            SELECT ifnull(sum(CASE WHEN pending = 0 THEN amount END), 0), ifnull(sum(CASE WHEN pending = 1 THEN amount END), 0), min(at)
            FROM spend WHERE budget = ? AND at > ? AND (pending = 0 OR expires > ?)
            """, arguments: [b.name, now - b.per, now]) { row in
            // A value no ledger of ours holds (negative, not finite) counts as the whole budget: nothing is sent past it unread.
            let spent = row.double(0), reserved = row.double(1)
            u.spent = spent.isFinite && spent >= 0 ? spent : b.usd
            u.reserved = reserved.isFinite && reserved >= 0 ? reserved : b.usd
            u.nextRelease = row.isNull(2) ? nil : row.double(2) + b.per
        }
        return u
    }
}

/// The rate windows: one row per window per request sent. Taking a slot reads
/// every window and counts the request in all of them in one write
/// transaction, so no window ever holds more than its limit.
extension AttemptLog {
    public func takeSlot(_ windows: [RateWindow], tokens: Int, now: Double) throws(Failure) -> SlotGrant {
        do {
            return try queue.write { db in
                if let full = try Self.fullWindow(db, windows, tokens: tokens, now: now) { return full }
                return .granted(id: try Self.count(db, windows, tokens: tokens, now: now))
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// The first of `windows` with no room for the request.
    static func fullWindow(_ db: SQLiteDatabase, _ windows: [RateWindow], tokens: Int, now: Double) throws -> SlotGrant? {
        for w in windows {
            // Counted in SQLite first: the rows themselves are read only when the window may be full.
            let use = try Self.use(db, w, now: now)
            let tokenCap = w.limit.tokens ?? Int.max
            if use.requests + 1 <= (w.limit.requests ?? Int.max), tokens <= tokenCap, use.tokens &+ tokens <= tokenCap { continue }
            var sends: [(at: Double, tokens: Int)] = []
            try db.each(sql: "SELECT at, tokens FROM sends WHERE key = ? AND at > ? ORDER BY at", arguments: [w.key, now - w.limit.per]) { row in
                sends.append((row.double(0), row.int(1)))
            }
            if let full = RateRule.check(w, sends: sends, tokens: tokens, now: now) { return full }
        }
        return nil
    }

    /// What window `w` holds now: its requests and their tokens.
    static func use(_ db: SQLiteDatabase, _ w: RateWindow, now: Double) throws -> WindowUse {
        var use = WindowUse(window: w, requests: 0, tokens: 0)
        try db.each(sql: "SELECT count(*), ifnull(sum(tokens), 0) FROM sends WHERE key = ? AND at > ?", arguments: [w.key, now - w.limit.per]) { row in
            use.requests = row.int(0)
            use.tokens = row.int(1)
        }
        return use
    }

    /// Counts the request in every window; its id.
    static func count(_ db: SQLiteDatabase, _ windows: [RateWindow], tokens: Int, now: Double) throws -> Int64 {
        let id = Int64(try db.int("SELECT ifnull(max(id), 0) + 1 FROM sends") ?? 1)
        for w in windows {
            try db.execute(sql: "INSERT INTO sends (id, key, at, tokens) VALUES (?, ?, ?, ?)", arguments: [id, w.key, now, tokens])
            // Now and then, what left the window goes: the log stays small.
            if id % 64 == 0 { try db.execute(sql: "DELETE FROM sends WHERE key = ? AND at <= ?", arguments: [w.key, now - w.limit.per]) }
        }
        return id
    }

    public func check(_ windows: [RateWindow], tokens: Int, now: Double) throws(Failure) -> SlotGrant? {
        do {
            return try queue.read { db in try Self.fullWindow(db, windows, tokens: tokens, now: now) }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    public func correct(_ id: Int64, tokens: Int) throws(Failure) {
        try settle(reservation: nil, cost: 0, slot: id, tokens: tokens, now: 0)
    }

    public func use(of windows: [RateWindow], now: Double) throws(Failure) -> [WindowUse] {
        do {
            return try queue.read { db in try windows.map { w in try Self.use(db, w, now: now) } }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }
}
