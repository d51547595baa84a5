import Dispatch
import Synchronization
internal import CSQLite
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

extension AttemptLog {
    /// Figures per provider and model for attempts in `[from, to)` (on `route`
    /// when given), health checks left out. Rows are stepped through SQLite's
    /// own API; a long log is read in two halves at once, on two connections.
    public func stats(from: Double, to: Double, route: String?, bench: Bool = false) throws(Failure) -> [StatsFigures] {
        try stats(from: from, to: to, route: route, bench: bench, splitAbove: 200_000)
    }

    /// `stats`, reading in two halves at once when the log has more than `splitAbove` rows.
    func stats(from: Double, to: Double, route: String?, bench: Bool = false, splitAbove: Int64) throws(Failure) -> [StatsFigures] {
        do {
            let (low, high, covered) = try queue.read { db -> (Int64, Int64, Double) in
                // One aggregate a statement: SQLite answers a lone min() or max()
                // from the b-tree's edge, but several together by scanning the table.
                let low = Int64(try db.int("SELECT min(rowid) FROM attempts") ?? 0)
                let high = Int64(try db.int("SELECT max(rowid) FROM attempts") ?? 0)
                let oldest = try db.double("SELECT min(at) FROM attempts") ?? from
                return (low, high, (to - max(from, oldest)) / max(1, to - oldest))
            }
            // A period that covers much of the log reads faster straight through
            // the table, in rowid ranges, than row by row through the time index.
            guard covered > 0.25, high - low > splitAbove else {
                return try queue.read { db in try Self.scan(db, from: from, to: to, route: route, bench: bench, rows: nil) }.figures()
            }
            let middle = low + (high - low) / 2
            let ranges = [(low, middle), (middle + 1, high)]
            let results = Mutex<[Result<StatsAccumulator, any Error>?]>(Array(repeating: nil, count: ranges.count))
            let path = self.path
            DispatchQueue.concurrentPerform(iterations: ranges.count) { i in
                let result = Result { () throws -> StatsAccumulator in
                    let reader = try SQLiteQueue(path: path, readonly: true)
                    return try reader.read { db in try Self.scan(db, from: from, to: to, route: route, bench: bench, rows: ranges[i]) }
                }
                results.withLock { $0[i] = result }
            }
            var all = StatsAccumulator()
            for result in results.withLock({ $0 }) {
                if let result { all.merge(try result.get()) }
            }
            return all.figures()
        } catch {
            throw Failure(path: path, reason: reason(error))
        }
    }

    /// One pass over the attempts in the period (and in a rowid range, when given).
    static func scan(_ db: SQLiteDatabase, from: Double, to: Double, route: String?, bench: Bool, rows: (Int64, Int64)?) throws -> StatsAccumulator {
        // Reading a large log through memory mapping spares a copy of every page.
        try db.execute(sql: "PRAGMA mmap_size = 1073741824")
        // One small integer says how the attempt ended and its flags, so each
        // row costs six column reads instead of eight text and number ones.
        var sql = """
            SELECT provider, model,
              (CASE outcome WHEN 'ok' THEN 1 WHEN 'hedge_lost' THEN 2 WHEN 'interrupted' THEN 2 WHEN 'cache_hit' THEN 3 ELSE 0 END)
                | (fallback << 2) | (hedge << 3),
              latency_ms, ifnull(ttft_ms, -1), cost_usd
            FROM \(rows == nil ? "attempts" : "attempts NOT INDEXED")
            WHERE at >= ? AND at < ? AND route IS NOT '\(RecordedRoute.check)'\(bench ? "" : " AND route IS NOT '\(RecordedRoute.bench)'")
            """
        var arguments: StatementArguments = [from, to]
        if let route {
            sql += " AND route = ?"
            arguments += [route]
        }
        if let (first, last) = rows {
            sql += " AND rowid BETWEEN ? AND ?"
            arguments += [first, last]
        }
        var acc = StatsAccumulator()
        // Names repeat: a row's provider and model are matched by their bytes'
        // hash, and made into strings only the first time.
        var groupOf: [UInt64: Int] = [:]
        try db.each(sql: sql, arguments: arguments) { row in
            let provider = row.bytes(0), model = row.bytes(1)
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in provider { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0xff) &* 0x100_0000_01b3
            for b in model { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
            let g: Int
            if let hit = groupOf[hash] { g = hit } else {
                g = acc.group(provider: String(decoding: provider, as: UTF8.self), model: String(decoding: model, as: UTF8.self))
                groupOf[hash] = g
            }
            let kind = row.int64(2)
            if kind & 3 == 3 { return acc.addHit(group: g) }
            let ttft = row.int64(4)
            acc.add(group: g, answered: kind & 3 == 1, lostHedge: kind & 3 == 2,
                    latencyMs: row.int(3), ttftMs: ttft < 0 ? nil : Int(ttft),
                    costUSD: row.isNull(5) ? nil : row.double(5), fallback: kind & 4 != 0, hedge: kind & 8 != 0)
        }
        return acc
    }
}

