import RouterCore
internal import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// The shared state database: for now the log of every attempt, one row each.
/// Every `llmr` process on the machine writes to the same file, so it runs in
/// WAL mode with a busy timeout: concurrent writers wait their turn instead of
/// failing with "database is locked".
public final class AttemptLog: StateBackend {
    /// Why the state database could not be opened or written.
    public typealias Failure = StateFailure

    public let path: String
    let queue: SQLiteQueue
    /// Opened read-only: the file is on read-only media (or may not be
    /// written), so it is read and nothing is saved.
    public let readOnly: Bool
    /// Who this process is, for half-open probes it claims.
    public let owner: String

    static let schemaVersion = 6

    /// Opens (creating if needed) the database at `path`.
    public init(path: String, owner: String = AttemptLog.newOwner()) throws(Failure) {
        self.path = path
        self.owner = owner
        // Switching a new file to WAL needs an exclusive lock that SQLite's busy
        // handler does not wait for, so processes that find the database not yet
        // set up take turns through a lock file. Once it is set up, the header
        // says so and nobody takes the lock again.
        let ready = Self.headerShowsSchema(path)
        var lock: Int32 = -1
        if !ready {
            lock = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            if lock >= 0 { flock(lock, LOCK_EX) }
        }
        defer {
            if lock >= 0 {
                flock(lock, LOCK_UN)
                close(lock)
            }
        }
        do {
            (queue, readOnly) = try Self.connect(path, ready: ready)
        } catch {
            throw Failure(path: path, reason: Self.reason(error))
        }
    }

    /// The connection and whether it is read-only: read-write as usual; a
    /// finished database that cannot be written (a read-only mount with no
    /// WAL beside it) is read as it is, and what cannot be saved is said.
    static func connect(_ path: String, ready: Bool) throws -> (SQLiteQueue, Bool) {
        do {
            let queue = try openQueue(path)
            if !ready { try migrate(queue) }
            return (queue, false)
        } catch let e as SQLiteError where ready && [SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM].contains(e.primary)
                    && (onReadOnlyMedia(path) || access(path, W_OK) != 0) {
            var st = stat()
            // A WAL with content would be ignored by an immutable open: then the error stands.
            guard stat(path + "-wal", &st) != 0 || st.st_size == 0 else { throw e }
            return (try SQLiteQueue(path: "file:" + uriEscaped(path) + "?immutable=1", readonly: true, busyTimeout: 10), true)
        }
    }

    /// Whether the directory of `path` is on read-only media.
    static func onReadOnlyMedia(_ path: String) -> Bool {
        let dir = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        var fs = statvfs()
        return statvfs(dir.isEmpty ? "." : dir, &fs) == 0 && fs.f_flag & UInt(ST_RDONLY) != 0
    }

    /// `path` as the path of a `file:` URI.
    static func uriEscaped(_ path: String) -> String {
        var out = ""
        for b in path.utf8 {
            switch b {
            case UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "%"), 0..<0x21, 0x7F...:
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            default: out.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        return out
    }

    /// The read-write connection, set up as every process uses it.
    static func openQueue(_ path: String) throws(SQLiteError) -> SQLiteQueue {
        // WAL is a property of the file: it is set once, when the schema is
        // created, rather than checked by every connection of every process.
        try SQLiteQueue(path: path, busyTimeout: 10) { db throws(SQLiteError) in
                // In WAL mode NORMAL syncs at checkpoints, not at every commit: a
                // record survives a crash of llmr, and the answer never waits on fsync.
                // Automatic checkpoints cannot help here: each new process rebuilds
                // the WAL index and forgets what was already copied, so they would
                // copy the whole WAL again every time.
                try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0")
                // Closing the last connection would checkpoint (several fsyncs) and
                // delete the WAL, in every process. Instead the WAL stays and
                // `record` truncates it once it grows past `walLimit`.
                _ = llmr_sqlite_keep_wal_on_close(db.handle)
            }
    }

    /// True when the file's SQLite header says WAL mode and a `user_version` of
    /// at least the current schema (bytes 18–19 and 60–63 of the header).
    static func headerShowsSchema(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 100)
        guard pread(fd, &header, 100, 0) == 100 else { return false }
        let version = Int(header[60]) << 24 | Int(header[61]) << 16 | Int(header[62]) << 8 | Int(header[63])
        return header[18] == 2 && header[19] == 2 && version >= schemaVersion
    }

    /// Creates the schema and switches the file to WAL; `user_version` records
    /// that it is done. Called under the set-up lock.
    static func migrate(_ queue: SQLiteQueue) throws {
        try queue.writeWithoutTransaction { db in
            // Outside any transaction, as SQLite requires; harmless when already WAL.
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        try queue.write { db in
            // Another process may have finished the set-up while this one waited for the lock.
            guard (try db.int("PRAGMA user_version") ?? 0) < schemaVersion else { return }
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS attempts (
                    id INTEGER PRIMARY KEY,
                    request_id TEXT NOT NULL,
                    at REAL NOT NULL,
                    route TEXT,
                    provider TEXT NOT NULL,
                    model TEXT NOT NULL,
                    model_id TEXT NOT NULL,
                    tier TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    status INTEGER,
                    latency_ms INTEGER NOT NULL,
                    ttft_ms INTEGER,
                    input_tokens INTEGER,
                    output_tokens INTEGER,
                    cost_usd REAL,
                    fallback INTEGER NOT NULL DEFAULT 0,
                    retry_after_s REAL,
                    message TEXT
                );
                CREATE INDEX IF NOT EXISTS attempts_provider_at ON attempts(provider, at);
                CREATE INDEX IF NOT EXISTS attempts_at ON attempts(at);
                CREATE TABLE IF NOT EXISTS breakers (
                    provider TEXT PRIMARY KEY,
                    state TEXT NOT NULL,
                    closed_at REAL NOT NULL,
                    open_until REAL NOT NULL,
                    probe_owner TEXT,
                    probe_started REAL
                );
                CREATE TABLE IF NOT EXISTS cooldowns (
                    provider TEXT PRIMARY KEY,
                    until REAL NOT NULL
                );
                CREATE TABLE IF NOT EXISTS contents (
                    request_id TEXT PRIMARY KEY,
                    at REAL NOT NULL,
                    prompt TEXT NOT NULL,
                    answer TEXT
                );
                CREATE TABLE IF NOT EXISTS sessions (
                    name TEXT PRIMARY KEY,
                    created REAL NOT NULL,
                    updated REAL NOT NULL,
                    system TEXT
                );
                CREATE TABLE IF NOT EXISTS turns (
                    session TEXT NOT NULL,
                    turn INTEGER NOT NULL,
                    at REAL NOT NULL,
                    user TEXT NOT NULL,
                    assistant TEXT NOT NULL,
                    provider TEXT,
                    model TEXT,
                    cost_usd REAL,
                    input_tokens INTEGER,
                    output_tokens INTEGER,
                    attempt_ids TEXT NOT NULL,
                    PRIMARY KEY (session, turn)
                );
                CREATE TABLE IF NOT EXISTS spend (
                    reservation INTEGER NOT NULL,
                    budget TEXT NOT NULL,
                    at REAL NOT NULL,
                    amount REAL NOT NULL,
                    pending INTEGER NOT NULL,
                    expires REAL NOT NULL
                );
                CREATE INDEX IF NOT EXISTS spend_budget_at ON spend(budget, at);
                CREATE INDEX IF NOT EXISTS spend_reservation ON spend(reservation);
                CREATE TABLE IF NOT EXISTS sends (
                    id INTEGER NOT NULL,
                    key TEXT NOT NULL,
                    at REAL NOT NULL,
                    tokens INTEGER NOT NULL
                );
                CREATE INDEX IF NOT EXISTS sends_key_at ON sends(key, at);
                CREATE INDEX IF NOT EXISTS sends_id ON sends(id);
                CREATE TABLE IF NOT EXISTS cache (
                    id INTEGER PRIMARY KEY,
                    hash INTEGER NOT NULL,
                    request TEXT NOT NULL,
                    answer TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    model TEXT NOT NULL,
                    model_id TEXT,
                    input_tokens INTEGER,
                    output_tokens INTEGER,
                    stored_at REAL NOT NULL
                );
                CREATE INDEX IF NOT EXISTS cache_hash ON cache(hash);
                """)
            // Version 2 added whether an attempt counts against its breaker, and its hedge; 3, contents; 4, sessions; 5, budgets' spend, rate windows' sends and the response cache; 6, an index of failures.
            let columns = try db.strings("SELECT name FROM pragma_table_info('attempts')")
            if !columns.contains("failure") {
                try db.execute(sql: "ALTER TABLE attempts ADD COLUMN failure INTEGER NOT NULL DEFAULT 0")
            }
            if !columns.contains("hedge") {
                try db.execute(sql: "ALTER TABLE attempts ADD COLUMN hedge INTEGER NOT NULL DEFAULT 0")
            }
            // Version 6: the failures alone, indexed, for the breakers' counts (whose cost must not grow with the answers).
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS attempts_failures ON attempts(provider, failure, at) WHERE failure > 0")
            try db.execute(sql: "PRAGMA user_version = \(schemaVersion)")
        }
        // Fold the new schema into the main file, whose header the next process
        // reads to see that no set-up is needed.
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Appends every attempt of one request, and updates the breakers and
    /// cooldowns of the providers it tried, in a single transaction.
    /// With `content` (config `log: {content: true}`), the prompt and the answer are kept too.
    public func record(_ result: RouteResult, requestID: String, at time: Double, breaker: Breaker? = nil,
                       content: (prompt: String, answer: String?)? = nil) throws(Failure) {
        do {
            try queue.write { db in
                _ = try Self.insert(db, result, requestID: requestID, at: time, breaker: breaker, owner: owner, content: content)
            }
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
        truncateWALIfLong()
    }

    /// Writes a request's attempts (and contents), moves the breakers on, and
    /// returns the rows' ids; the caller holds the transaction. Each attempt's
    /// cost is the router's: the store keeps it, never works it out again.
    static func insert(_ db: SQLiteDatabase, _ result: RouteResult, requestID: String, at time: Double, breaker: Breaker?, owner: String,
                       content: (prompt: String, answer: String?)?) throws -> [Int64] {
        var ids: [Int64] = []
        if let content {
            try db.execute(sql: "INSERT OR REPLACE INTO contents (request_id, at, prompt, answer) VALUES (?, ?, ?, ?)",
                           arguments: [requestID, time, Secrets.redact(content.prompt), content.answer.map(Secrets.redact)])
        }
        for (i, a) in result.attempts.enumerated() {
            let isAnswer = a.outcome == .ok && i == result.attempts.count - 1
            try db.execute(sql: """
                INSERT INTO attempts (request_id, at, route, provider, model, model_id, tier, outcome, status,
                    latency_ms, ttft_ms, input_tokens, output_tokens, cost_usd, fallback, retry_after_s, message, failure, hedge)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    requestID, time, result.route, a.provider, a.model, a.modelID, a.tier.rawValue, "\(a.outcome)", a.status,
                    a.latencyMs, a.ttftMs, a.usage?.inputTokens, a.usage?.outputTokens, a.costUSD,
                    isAnswer && result.fallback ? 1 : 0, a.retryAfterS, a.message.map(Secrets.redact), Self.failureColumn(a),
                    a.hedged ? 1 : 0,
                ])
            ids.append(db.lastInsertedRowID)
        }
        if let breaker { try Self.updateHealth(db, result.attempts, breaker: breaker, owner: owner, now: time) }
        return ids
    }

    /// The `failure` column: 0 for none, 1 against the model's breaker, 2 against the provider's.
    static func failureColumn(_ a: AttemptRecord) -> Int {
        switch HealthUpdate.scope(of: a) {
        case nil: return 0
        case .model?: return 1
        case .provider?: return 2
        }
    }

    /// The WAL size past which a request folds it into the database: every new
    /// process reads the whole WAL once, so it is kept short (about twenty
    /// requests), and the fsyncs of a checkpoint are paid that rarely.
    static let walLimit = 256 * 1024

    /// Copies the WAL into the database and empties it once it is long. Busy
    /// (another process is reading or writing) just means: next time.
    func truncateWALIfLong() {
        var st = stat()
        guard stat(path + "-wal", &st) == 0, Int(st.st_size) > Self.walLimit else { return }
        _ = try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// How many attempts the log holds (for tests and later for stats).
    public func count() throws(Failure) -> Int {
        do { return try queue.read { db in try db.int("SELECT count(*) FROM attempts") ?? 0 } } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Runs raw SQL statements (tests: a database as a damaged disk or an older llmr might leave it).
    func execute(_ sql: String) throws {
        try queue.write { db in try db.execute(sql: sql) }
    }

    /// The first column of the first row of `sql`, as a whole number (tests).
    func integer(_ sql: String) throws -> Int? {
        try queue.read { db in try db.int(sql) }
    }

    /// The outcomes of the logged attempts, oldest first.
    public func outcomes() throws(Failure) -> [String] {
        do { return try queue.read { db in try db.strings("SELECT outcome FROM attempts ORDER BY id") } } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// Why an operation on this database failed, as a user reads it: a
    /// schema this llmr does not know says whether the file is newer or damaged.
    func reason(_ error: any Error) -> String {
        if let e = error as? SQLiteError, e.primary == SQLITE_ERROR,
           e.message.hasPrefix("no such table") || e.message.hasPrefix("no such column") {
            let version = (try? queue.read { db in try db.int("PRAGMA user_version") }) ?? nil
            if let version, version > Self.schemaVersion {
                return "it was written by a newer llmr (schema \(version); this llmr knows up to \(Self.schemaVersion)) and lacks what "
                    + "this one needs (\(e.message)); use the newer llmr, or set LLMR_STATE_DIR to another directory"
            }
            return "its schema is damaged (\(e.message)); move it aside (mv '\(path)' '\(path).bad') and llmr starts a new one"
        }
        return Self.reason(error)
    }

    static func reason(_ error: any Error) -> String {
        if let e = error as? SQLiteError {
            switch e.primary {
            case SQLITE_FULL: return "the disk is full"
            case SQLITE_READONLY: return "it is read-only (\(e.message)), so nothing is saved in it"
            case SQLITE_PERM, SQLITE_CANTOPEN: return "cannot open or write the file (\(e.message))"
            case SQLITE_BUSY, SQLITE_LOCKED: return "another llmr process held the database too long"
            case SQLITE_CORRUPT, SQLITE_NOTADB: return "the file is not a usable SQLite database"
            default: return e.message
            }
        }
        return "\(error)"
    }
}
