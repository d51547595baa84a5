import GRDB
internal import GRDBSQLite
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

extension AttemptLog {
    /// Figures per provider and model for attempts in `[from, to)` (on `route`
    /// when given), health checks left out. Rows are stepped through SQLite's
    /// own API: a million of them in well under a second.
    public func stats(from: Double, to: Double, route: String?) throws(Failure) -> [StatsFigures] {
        do {
            // Reading a large log through memory mapping spares a copy of every page.
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA mmap_size = 1073741824") }
            return try queue.read { db in
                // A period that covers much of the log reads faster straight through
                // the table than row by row through the time index.
                let oldest = try Double.fetchOne(db, sql: "SELECT min(at) FROM attempts") ?? from
                let span = max(1, to - oldest)
                let covered = (to - max(from, oldest)) / span
                let table = covered > 0.25 ? "attempts NOT INDEXED" : "attempts"
                var sql = """
                    SELECT provider, model, outcome, latency_ms, ttft_ms, cost_usd, fallback, hedge
                    FROM \(table) WHERE at >= ? AND at < ? AND route IS NOT '(check)'
                    """
                var arguments: StatementArguments = [from, to]
                if let route {
                    sql += " AND route = ?"
                    arguments += [route]
                }
                let statement = try db.makeStatement(sql: sql)
                try statement.setArguments(arguments)
                let handle = statement.sqliteStatement
                defer { sqlite3_reset(handle) }
                var acc = StatsAccumulator()
                // Names repeat: a row's provider and model are matched by their
                // bytes' hash, and made into strings only the first time.
                var groupOf: [UInt64: Int] = [:]
                func bytes(_ col: Int32) -> UnsafeBufferPointer<UInt8> {
                    UnsafeBufferPointer(start: sqlite3_column_text(handle, col), count: Int(sqlite3_column_bytes(handle, col)))
                }
                func equals(_ b: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
                    b.count == literal.utf8CodeUnitCount && (b.count == 0 || memcmp(b.baseAddress!, literal.utf8Start, b.count) == 0)
                }
                while true {
                    let rc = sqlite3_step(handle)
                    if rc == SQLITE_DONE { break }
                    guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc)) }
                    let provider = bytes(0), model = bytes(1)
                    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                    for b in provider { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
                    hash = (hash ^ 0xff) &* 0x100_0000_01b3
                    for b in model { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
                    let g: Int
                    if let hit = groupOf[hash] { g = hit } else {
                        g = acc.group(provider: String(decoding: provider, as: UTF8.self), model: String(decoding: model, as: UTF8.self))
                        groupOf[hash] = g
                    }
                    let outcome = bytes(2)
                    acc.add(group: g, answered: equals(outcome, "ok"), lostHedge: equals(outcome, "hedge_lost"),
                            latencyMs: Int(sqlite3_column_int64(handle, 3)),
                            ttftMs: sqlite3_column_type(handle, 4) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(handle, 4)),
                            costUSD: sqlite3_column_type(handle, 5) == SQLITE_NULL ? nil : sqlite3_column_double(handle, 5),
                            fallback: sqlite3_column_int64(handle, 6) != 0, hedge: sqlite3_column_int64(handle, 7) != 0)
                }
                return acc.figures()
            }
        } catch {
            throw Failure(path: path, reason: Self.reason(error))
        }
    }
}
