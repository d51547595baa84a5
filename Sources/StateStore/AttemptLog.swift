import GRDB
import RouterCore

/// The shared state database: for now the log of every attempt, one row each.
/// Every `llmr` process on the machine writes to the same file, so it runs in
/// WAL mode with a busy timeout: concurrent writers wait their turn instead of
/// failing with "database is locked".
public final class AttemptLog: Sendable {
    /// Why the state database could not be opened or written.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public let path: String
    private let queue: DatabaseQueue

    static let schemaVersion = 1

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws(Failure) {
        self.path = path
        var config = Configuration()
        // WAL is a property of the file: it is set once, when the schema is
        // created, rather than checked by every connection of every process.
        config.journalMode = .default
        config.busyMode = .timeout(10)
        config.label = "llmr-state"
        config.prepareDatabase { db in
            // In WAL mode NORMAL syncs at checkpoints, not at every commit: a
            // record survives a crash of llmr, and the answer never waits on fsync.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try Self.migrate(queue)
        } catch {
            throw Failure(path: path, reason: Self.reason(error))
        }
    }

    /// Creates the schema once; `user_version` records that it exists, so a
    /// normal run reads one pragma and writes nothing here.
    static func migrate(_ queue: DatabaseQueue) throws {
        let version = try queue.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        guard version < schemaVersion else { return }
        try queue.writeWithoutTransaction { db in
            // Outside any transaction, as SQLite requires; harmless when already WAL.
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        try queue.write { db in
            // Checked again inside the write lock: another process may have just done it.
            guard (try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0) < schemaVersion else { return }
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
                PRAGMA user_version = \(schemaVersion);
                """)
        }
    }

    /// Appends every attempt of one request in a single transaction.
    public func record(_ result: RouteResult, requestID: String, at time: Double, prices: (String) -> ModelEntry?) throws(Failure) {
        do {
            try queue.write { db in
                for (i, a) in result.attempts.enumerated() {
                    let isAnswer = a.outcome == .ok && i == result.attempts.count - 1
                    let cost = a.usage.flatMap { u in prices(a.model)?.cost(of: u) }
                    try db.execute(sql: """
                        INSERT INTO attempts (request_id, at, route, provider, model, model_id, tier, outcome, status,
                            latency_ms, ttft_ms, input_tokens, output_tokens, cost_usd, fallback, retry_after_s, message)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [
                            requestID, time, result.route, a.provider, a.model, a.modelID, a.tier.rawValue, "\(a.outcome)", a.status,
                            a.latencyMs, a.ttftMs, a.usage?.inputTokens, a.usage?.outputTokens, cost,
                            isAnswer && result.fallback ? 1 : 0, a.retryAfterS, a.message,
                        ])
                }
            }
        } catch {
            throw Failure(path: path, reason: Self.reason(error))
        }
    }

    /// How many attempts the log holds (for tests and later for stats).
    public func count() throws(Failure) -> Int {
        do { return try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM attempts") ?? 0 } } catch {
            throw Failure(path: path, reason: Self.reason(error))
        }
    }

    /// The outcomes of the logged attempts, oldest first.
    public func outcomes() throws(Failure) -> [String] {
        do { return try queue.read { db in try String.fetchAll(db, sql: "SELECT outcome FROM attempts ORDER BY id") } } catch {
            throw Failure(path: path, reason: Self.reason(error))
        }
    }

    static func reason(_ error: any Error) -> String {
        if let e = error as? DatabaseError {
            switch e.resultCode {
            case .SQLITE_FULL: return "the disk is full"
            case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN: return "cannot open or write the file (\(e.message ?? "permission denied"))"
            case .SQLITE_BUSY, .SQLITE_LOCKED: return "another llmr process held the database too long"
            case .SQLITE_CORRUPT, .SQLITE_NOTADB: return "the file is not a usable SQLite database"
            default: return e.message ?? "\(e)"
            }
        }
        return "\(error)"
    }
}
