internal import CSQLite
import Synchronization

/// An SQLite error: the extended result code and SQLite's own message.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public var message: String
    /// The primary result code (SQLITE_BUSY, SQLITE_FULL, ...).
    public var primary: Int32 { code & 0xff }
    public var description: String { message }
}

/// A value that binds to a statement parameter.
public protocol SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
}

extension Int: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, Int64(self)) }
}

extension Int64: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, self) }
}

extension Double: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_double(statement, index, self) }
}

extension Bool: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, self ? 1 : 0) }
}

extension String: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        var text = self
        return text.withUTF8 { bytes in
            guard let start = bytes.baseAddress, bytes.count <= Int32.max else {
                return bytes.isEmpty ? llmr_sqlite_bind_text(statement, index, "", 0) : SQLITE_TOOBIG
            }
            return start.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                llmr_sqlite_bind_text(statement, index, $0, Int32(bytes.count))
            }
        }
    }
}

/// A statement's parameters, written as an array literal; nil binds NULL.
public struct StatementArguments: ExpressibleByArrayLiteral, Sendable {
    // Bound at once, on the connection's thread; never kept past the call.
    nonisolated(unsafe) var values: [(any SQLiteBindable)?]

    public init(_ values: [(any SQLiteBindable)?]) { self.values = values }
    public init(arrayLiteral elements: (any SQLiteBindable)?...) { values = elements }

    public static func + (a: StatementArguments, b: StatementArguments) -> StatementArguments { StatementArguments(a.values + b.values) }
    public static func += (a: inout StatementArguments, b: StatementArguments) { a.values += b.values }
}

/// A prepared statement being stepped: columns are read by index, and SQLite
/// converts what is stored to the type asked for, so no value can fail to decode.
public struct SQLiteRow {
    let handle: OpaquePointer

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    public func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    public func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
    }
    public func optionalInt(_ column: Int32) -> Int? { isNull(column) ? nil : int(column) }
    public func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }
    public func optionalString(_ column: Int32) -> String? { isNull(column) ? nil : string(column) }
    /// The bytes of a text column, valid until the next step.
    public func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: sqlite3_column_text(handle, column), count: Int(sqlite3_column_bytes(handle, column)))
    }
}

/// One open connection. Not thread-safe on its own: `SQLiteQueue` serializes it.
public final class SQLiteDatabase {
    let handle: OpaquePointer
    private var cache: [String: OpaquePointer] = [:]

    /// `path` may be a `file:` URI (`immutable=1` for a file on read-only media).
    init(path: String, readonly: Bool) throws(SQLiteError) {
        var db: OpaquePointer?
        let flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        for statement in cache.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    func failure(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Waits up to `seconds` for another connection's lock before giving up with SQLITE_BUSY.
    func busyTimeout(_ seconds: Double) { sqlite3_busy_timeout(handle, Int32(clamping: Int(seconds * 1000))) }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changesCount: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `sql`: several statements separated by semicolons when there are
    /// no arguments, one statement with them.
    public func execute(sql: String, arguments: StatementArguments = []) throws(SQLiteError) {
        if arguments.values.isEmpty {
            var message: UnsafeMutablePointer<CChar>?
            let rc = sqlite3_exec(handle, sql, nil, nil, &message)
            if rc != SQLITE_OK {
                let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
                sqlite3_free(message)
                throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text)
            }
            return
        }
        try each(sql: sql, arguments: arguments) { _ in }
    }

    /// Steps `sql` with `arguments`, handing every row to `body`. Statements
    /// are prepared once per connection and kept.
    public func each(sql: String, arguments: StatementArguments = [], _ body: (SQLiteRow) throws -> Void) throws(SQLiteError) {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (i, value) in arguments.values.enumerated() {
            let index = Int32(i + 1)
            let rc = value?.bind(to: statement, at: index) ?? sqlite3_bind_null(statement, index)
            if rc != SQLITE_OK { throw failure(rc) }
        }
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw failure(rc) }
            do {
                try body(SQLiteRow(handle: statement))
            } catch let error as SQLiteError {
                throw error
            } catch {
                throw SQLiteError(code: SQLITE_ABORT, message: "\(error)")
            }
        }
    }

    private func prepared(_ sql: String) throws(SQLiteError) -> OpaquePointer {
        if let hit = cache[sql] { return hit }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw failure(rc) }
        cache[sql] = statement
        return statement
    }

    /// The first column of the first row, or nil when there is no row or it is NULL.
    public func int(_ sql: String, _ arguments: StatementArguments = []) throws(SQLiteError) -> Int? {
        var out: Int?
        try each(sql: sql, arguments: arguments) { row in if out == nil { out = row.optionalInt(0) } }
        return out
    }

    public func double(_ sql: String, _ arguments: StatementArguments = []) throws(SQLiteError) -> Double? {
        var out: Double?
        try each(sql: sql, arguments: arguments) { row in if out == nil { out = row.optionalDouble(0) } }
        return out
    }

    /// The first column of every row, NULLs left out.
    public func ints(_ sql: String, _ arguments: StatementArguments = []) throws(SQLiteError) -> [Int] {
        var out: [Int] = []
        try each(sql: sql, arguments: arguments) { row in if !row.isNull(0) { out.append(row.int(0)) } }
        return out
    }

    public func strings(_ sql: String, _ arguments: StatementArguments = []) throws(SQLiteError) -> [String] {
        var out: [String] = []
        try each(sql: sql, arguments: arguments) { row in if !row.isNull(0) { out.append(row.string(0)) } }
        return out
    }
}

/// A connection used by one caller at a time, with transactions: `write`
/// takes the write lock up front (BEGIN IMMEDIATE), so a writer waits in the
/// busy handler instead of failing halfway; `read` sees one snapshot.
public final class SQLiteQueue: @unchecked Sendable {
    // The connection is touched only while `lock` is held.
    private let database: SQLiteDatabase
    private let lock = Mutex(())

    init(path: String, readonly: Bool = false, busyTimeout: Double = 10,
         prepare: (SQLiteDatabase) throws(SQLiteError) -> Void = { _ in }) throws(SQLiteError) {
        let db = try SQLiteDatabase(path: path, readonly: readonly)
        db.busyTimeout(busyTimeout)
        try prepare(db)
        // A file that is not a database (or is damaged) says so here, at open.
        try db.execute(sql: "SELECT count(*) FROM sqlite_master")
        database = db
    }

    /// `body` in a transaction that holds the write lock; rolled back when it throws.
    public func write<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try transaction("BEGIN IMMEDIATE", body)
    }

    /// `body` in a read transaction: every statement sees the same snapshot.
    public func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try transaction("BEGIN", body)
    }

    /// `body` outside any transaction (PRAGMA journal_mode, checkpoints).
    public func writeWithoutTransaction<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try lock.withLock { _ in try body(database) }
    }

    private func transaction<T>(_ begin: String, _ body: (SQLiteDatabase) throws -> T) throws -> T {
        try lock.withLock { _ in
            let db = database
            try db.execute(sql: begin)
            do {
                let value = try body(db)
                try db.execute(sql: "COMMIT")
                return value
            } catch {
                if sqlite3_get_autocommit(db.handle) == 0 { try? db.execute(sql: "ROLLBACK") }
                throw error
            }
        }
    }
}
