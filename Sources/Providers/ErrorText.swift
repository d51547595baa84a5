import RouterCore

/// Turning error bodies, JSON or not, into short messages and error kinds.
enum ErrorText {
    /// A message is cut here: enough to act on, short enough for one stderr line.
    static let limit = 300

    static func clip(_ s: String) -> String {
        let oneLine = s.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ").trimmingWhitespace()
        guard oneLine.count > limit else { return oneLine }
        return String(oneLine.prefix(limit)) + "…"
    }

    /// A readable excerpt of a body that is not JSON (an HTML error page, plain text, binary).
    static func excerpt(_ body: [UInt8], status: Int) -> String {
        if body.isEmpty { return "HTTP \(status) with an empty body" }
        var text = String(decoding: body.prefix(4096), as: UTF8.self)
        if text.contains("<") {
            // Strip tags so an HTML error page reads as its text.
            var plain = ""
            var inTag = false
            for ch in text {
                if ch == "<" { inTag = true; plain.append(" ") } else if ch == ">" { inTag = false } else if !inTag { plain.append(ch) }
            }
            text = plain
        }
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
        let printable = String(words.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\u{FFFD}" }.map(Character.init))
        if printable.isEmpty { return "HTTP \(status) with a body that is not text (\(body.count) bytes)" }
        return "HTTP \(status), not JSON: " + clip(printable)
    }

    /// The error kind from the status and whatever type, code and message the body gave.
    static func kind(status: Int, type: String?, code: String?, message: String) -> ProviderError.Kind {
        let words = [type ?? "", code ?? "", message].joined(separator: " ").lowercased()
        if words.contains("context_length") || words.contains("context length") || words.contains("maximum context")
            || words.contains("too many tokens") || words.contains("prompt is too long")
            || words.contains("maximum number of tokens") {
            return .contextLength
        }
        switch status {
        case 429: return .rateLimit
        case 529: return .overloaded
        case 503: return words.contains("overload") ? .overloaded : .server
        case 500, 502: return .server
        case 408, 504: return .timeout
        case 401, 403: return .auth
        case 404: return .notFound
        case 400, 409, 413, 422: return .invalidRequest
        default:
            if words.contains("overload") { return .overloaded }
            if words.contains("rate limit") || words.contains("rate_limit") { return .rateLimit }
            return status >= 500 ? .server : .other
        }
    }
}
