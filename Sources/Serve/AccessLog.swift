import Engine
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// How `llmr serve` writes its access lines on stderr (`--log`).
public enum AccessLogFormat: String, Sendable {
    /// `llmr serve: POST /v1/chat/completions 200 12 ms route=default provider=up model=mu attempts=2 cost_usd=0.000012`
    case text
    /// One JSON object per line, for a log collector.
    case json
}

/// One request as its access line tells it. Never holds a key, a prompt or an answer.
struct AccessEntry {
    var time: Double
    var method: String
    var path: String
    var status: Int
    var ms: Int
    var client: String?
    var stream = false
    var broken = false
    var route: String?
    var provider: String?
    var model: String?
    var attempts: Int?
    var costUSD: Double?
    /// Why a request was refused or failed, as the client was told.
    var error: String?

    mutating func add(_ r: RouteResult) {
        route = r.route ?? route
        // A request that failed names what it tried last.
        provider = r.provider ?? r.attempts.last?.provider
        model = r.model ?? r.attempts.last?.model
        attempts = r.attempts.count
        costUSD = r.costUSD
    }

    func line(_ format: AccessLogFormat) -> String {
        switch format {
        case .json: return String(decoding: json.bytes(), as: UTF8.self) + "\n"
        case .text:
            var out = "llmr serve: \(method) \(path) \(status) \(ms) ms"
            if stream { out += " stream" }
            if broken { out += " broken" }
            for (k, v) in [("route", route), ("provider", provider), ("model", model)] { if let v { out += " \(k)=\(v)" } }
            if let attempts { out += " attempts=\(attempts)" }
            if let costUSD { out += " cost_usd=\(NumberText.decimal(costUSD, significant: 6))" }
            return out + "\n"
        }
    }

    var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("time", .string(Timestamp.isoMillis(time))), ("method", .string(method)), ("path", .string(path)),
            ("status", .number(Double(status))), ("ms", .number(Double(ms))),
        ]
        if let client { fields.append(("client", .string(client))) }
        if path == "/v1/chat/completions" || path == "/v1/messages" {
            fields.append(("stream", .bool(stream)))
            if stream { fields.append(("broken", .bool(broken))) }
        }
        for (k, v) in [("route", route), ("provider", provider), ("model", model)] { if let v { fields.append((k, .string(v))) } }
        if let attempts { fields.append(("attempts", .number(Double(attempts)))) }
        if let costUSD { fields.append(("cost_usd", .number(costUSD))) }
        if let error { fields.append(("error", .string(error))) }
        return .object(fields)
    }

    /// Writes the line to stderr in one call, so lines from many requests never interleave.
    func write(_ format: AccessLogFormat) {
        let text = line(format)
        _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}
