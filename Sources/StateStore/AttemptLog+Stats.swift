import GRDB
internal import GRDBSQLite
import RouterCore

extension AttemptLog {
    /// Figures per provider and model for attempts in `[from, to)` (on `route`
    /// when given), health checks left out. Rows are stepped through SQLite's
    /// own API: a million of them in well under a second.
    public func stats(from: Double, to: Double, route: String?) throws(Failure) -> [StatsFigures] {
        do {
            return try queue.read { db in
                var sql = """
                    SELECT provider, model, outcome, latency_ms, ttft_ms, cost_usd, fallback, hedge
                    FROM attempts WHERE at >= ? AND at < ? AND route IS NOT '(check)'
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
                // Provider and model names repeat: decode each distinct one once.
                var names: [String: String] = [:]
                func text(_ col: Int32) -> String {
                    guard let p = sqlite3_column_text(handle, col) else { return "" }
                    let n = Int(sqlite3_column_bytes(handle, col))
                    let key = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
                    if let hit = names[key] { return hit }
                    names[key] = key
                    return key
                }
                while true {
                    let rc = sqlite3_step(handle)
                    if rc == SQLITE_DONE { break }
                    guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc)) }
                    acc.add(StatsRow(
                        provider: text(0), model: text(1), outcome: text(2),
                        latencyMs: Int(sqlite3_column_int64(handle, 3)),
                        ttftMs: sqlite3_column_type(handle, 4) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(handle, 4)),
                        costUSD: sqlite3_column_type(handle, 5) == SQLITE_NULL ? nil : sqlite3_column_double(handle, 5),
                        fallback: sqlite3_column_int64(handle, 6) != 0,
                        hedge: sqlite3_column_int64(handle, 7) != 0))
                }
                return acc.figures()
            }
        } catch {
            throw Failure(path: path, reason: Self.reason(error))
        }
    }
}
