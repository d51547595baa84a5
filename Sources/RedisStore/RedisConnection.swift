import CHiredis
#if canImport(Glibc)
import Glibc
#endif

/// Why Redis could not be used: unreachable, too slow, an error reply, or a
/// reply that is not what was asked for.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// No answer within the timeout: a slow server, not a closed connection, so not tried again.
    public var timedOut = false
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

/// A parsed `redis://[user[:password]@]host[:port][/db]`. Its description
/// never holds the password.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var db: Int
    public var user: String?
    public var password: String?

    /// Nil, with the reason, when `text` is not such an address.
    public static func parse(_ text: String) -> Result<RedisURL, RedisError> {
        if text.hasPrefix("rediss://") {
            return .failure(RedisError("rediss:// (TLS) is not supported: this llmr is built with Debian's hiredis 0.14, which has no TLS; use redis:// over a trusted network or a TLS tunnel"))
        }
        guard text.hasPrefix("redis://") else { return .failure(RedisError("a shared state address starts with redis://")) }
        var rest = Substring(text.dropFirst("redis://".count))
        var url = RedisURL(host: "127.0.0.1", port: 6379, db: 0)
        if let at = rest.lastIndex(of: "@") {
            let auth = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = auth.firstIndex(of: ":") {
                let user = String(auth[..<colon])
                url.user = user.isEmpty ? nil : Self.unescape(user)
                url.password = Self.unescape(String(auth[auth.index(after: colon)...]))
            } else if !auth.isEmpty {
                url.password = Self.unescape(String(auth))
            }
        }
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !db.isEmpty {
                guard let n = Int(db), (0...1_000_000).contains(n) else { return .failure(RedisError("the database in \(text) is not a number")) }
                url.db = n
            }
        }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            url.host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let p = Int(rest.dropFirst()), (1...65535).contains(p) else { return .failure(RedisError("the port in the shared state address is not a port")) }
                url.port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                return .failure(RedisError("the port in the shared state address is not a port"))
            }
            url.port = p
            url.host = String(rest[..<colon])
        } else if !rest.isEmpty {
            url.host = String(rest)
        }
        guard !url.host.isEmpty else { return .failure(RedisError("the shared state address names no host")) }
        return .success(url)
    }

    /// `%40` and the like in a user or password.
    static func unescape(_ s: String) -> String {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let v = UInt8(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String {
        "redis://\(user.map { "\($0)@" } ?? (password != nil ? "***@" : ""))\(host.contains(":") ? "[\(host)]" : host):\(port)/\(db)"
    }
}

/// A Redis reply.
public indirect enum RedisReply: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case array([RedisReply])
    case null
    case status(String)
    case error(String)

    var text: String? {
        switch self {
        case .string(let s), .status(let s): return s
        case .integer(let n): return String(n)
        default: return nil
        }
    }
}

/// One connection to Redis through hiredis, with a timeout on connecting and
/// on every command. Not for concurrent use: its owner serialises calls.
public final class RedisConnection {
    public let url: RedisURL
    let timeout: Double
    private var context: UnsafeMutablePointer<redisContext>?

    public init(url: RedisURL, timeout: Double) throws(RedisError) {
        self.url = url
        self.timeout = timeout
        try connect()
    }

    deinit {
        if let context { redisFree(context) }
    }

    private var tv: timeval {
        let t = max(0.001, timeout)
        return timeval(tv_sec: Int(t), tv_usec: Int((t - t.rounded(.down)) * 1_000_000))
    }

    func connect() throws(RedisError) {
        if let context { redisFree(context) }
        context = nil
        guard let c = redisConnectWithTimeout(url.host, Int32(url.port), tv) else { throw RedisError("cannot connect to \(url): out of memory") }
        if c.pointee.err != 0 {
            let why = String(cString: llmr_redis_error(c))
            redisFree(c)
            throw RedisError("cannot connect to \(url): \(why)")
        }
        _ = redisSetTimeout(c, tv)
        context = c
        if let password = url.password {
            let reply = try command(url.user.map { ["AUTH", $0, password] } ?? ["AUTH", password])
            if case .error(let e) = reply { throw RedisError("\(url) refused the password: \(e)") }
        }
        if url.db != 0, case .error(let e) = try command(["SELECT", String(url.db)]) {
            throw RedisError("\(url): \(e)")
        }
    }

    /// Sends one command and reads its reply. An I/O error or a timeout
    /// throws (and the connection is closed); an error reply is returned.
    public func command(_ args: [String]) throws(RedisError) -> RedisReply {
        guard let c = context else { throw RedisError("not connected to \(url)") }
        let bytes = args.map { Array($0.utf8) }
        let raw: UnsafeMutablePointer<redisReply>? = withArguments(bytes) { argv, lengths in
            llmr_redis_command(c, Int32(bytes.count), argv, lengths)
        }
        guard let raw else {
            let why = String(cString: llmr_redis_error(c))
            let timedOut = why.contains("temporarily unavailable") || why.contains("timed out")
            redisFree(c)
            context = nil
            var e = RedisError("\(url): " + (timedOut ? "no answer within \(Int((timeout * 1000).rounded())) ms (state.timeout)" : why.isEmpty ? "no reply" : why))
            e.timedOut = timedOut
            throw e
        }
        defer { freeReplyObject(raw) }
        return Self.reply(raw)
    }

    private func withArguments<T>(_ bytes: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> T) -> T {
        var pointers: [UnsafeMutablePointer<CChar>?] = bytes.map { b in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, b.count))
            b.withUnsafeBufferPointer { src in
                if let base = src.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: b.count) }
            }
            return p
        }
        defer { for p in pointers { p?.deallocate() } }
        let lengths = bytes.map(\.count)
        return pointers.withUnsafeMutableBufferPointer { pb in
            pb.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: bytes.count) { argv in
                lengths.withUnsafeBufferPointer { body(argv, $0.baseAddress!) }
            }
        }
    }

    static func reply(_ r: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let v = r.pointee
        func text() -> String {
            guard let s = v.str else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: s, count: Int(v.len)), as: UTF8.self)
        }
        switch v.type {
        case REDIS_REPLY_STRING: return .string(text())
        case REDIS_REPLY_STATUS: return .status(text())
        case REDIS_REPLY_ERROR: return .error(text())
        case REDIS_REPLY_INTEGER: return .integer(v.integer)
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            for i in 0..<Int(v.elements) {
                if let e = v.element[i] { items.append(reply(e)) } else { items.append(.null) }
            }
            return .array(items)
        default: return .null
        }
    }
}
