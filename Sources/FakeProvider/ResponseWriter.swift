import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes one scripted response in OpenAI's format, faults included.
struct ResponseWriter {
    let fd: Int32
    /// Linux's POLLRDHUP (peer closed its end), which Glibc's module leaves out.
    static let pollRDHUP: Int16 = 0x2000

    /// Answers `request`; false means the connection must be closed.
    func respond(to request: RecordedRequest, with behaviour: FakeBehaviour?) -> Bool {
        guard let b = behaviour else {
            return sendJSON(404, error("no fake provider is scripted for '\(request.provider)'", type: "not_found_error"))
        }
        if b.disconnect { return false }
        pause(b.delayMs)
        if let key = b.requireKey, request.header("authorization") != "Bearer \(key)" {
            return sendJSON(401, error("Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key"))
        }
        if request.method == "GET", request.path.hasSuffix("/models") {
            return sendJSON(200, .object([("object", "list"), ("data", .array([.object([("id", "fake-model"), ("object", "model")])]))]))
        }
        guard request.method == "POST", request.path.hasSuffix("/chat/completions") else {
            return sendJSON(404, error("unknown endpoint \(request.method) \(request.path)", type: "not_found_error"))
        }
        if b.status != 200 {
            var headers: [(String, String)] = []
            if let r = b.retryAfter { headers.append(("Retry-After", r)) }
            if let raw = b.body {
                return send(b.status, headers + [("Content-Type", b.contentType ?? "text/plain")], Array(raw.utf8))
            }
            let type = b.status == 429 ? "rate_limit_error" : b.status >= 500 ? "server_error" : "invalid_request_error"
            let body = error("scripted failure with status \(b.status)", type: type)
            return send(b.status, headers + [("Content-Type", "application/json")], body.bytes())
        }
        let json = (try? JSONValue.parse(request.body)) ?? .null
        let model = json["model"]?.string ?? "fake-model"
        var text = b.text
        if b.echo {
            text = json["messages"]?.array?.last { $0["role"]?.string == "user" }?["content"]?.string ?? ""
        }
        let input = b.inputTokens ?? max(1, request.body.count / 4)
        let chunks = Self.split(text)
        let output = b.outputTokens ?? chunks.count
        let usage: JSONValue = .object([("prompt_tokens", .number(Double(input))), ("completion_tokens", .number(Double(output))),
                                        ("total_tokens", .number(Double(input + output)))])
        if json["stream"]?.bool != true {
            let body: JSONValue = .object([
                ("id", "chatcmpl-fake"), ("object", "chat.completion"), ("created", 0), ("model", .string(model)),
                ("choices", .array([.object([("index", 0), ("message", .object([("role", "assistant"), ("content", .string(text))])),
                                             ("finish_reason", "stop")])])),
                ("usage", usage),
            ])
            var bytes = body.bytes()
            if b.disconnectAfter != nil {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\r\n"
                _ = write(Array(head.utf8) + bytes.prefix(bytes.count / 2))
                return false
            }
            if b.truncateAfter != nil || b.malformedAfter != nil { bytes = Array(bytes.prefix(bytes.count / 2)) }
            return send(200, [("Content-Type", "application/json")], bytes)
        }
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
        guard write(Array(head.utf8)) else { return false }
        pause(b.firstTokenDelayMs)
        func chunk(_ delta: JSONValue, finish: String? = nil) -> JSONValue {
            .object([("id", "chatcmpl-fake"), ("object", "chat.completion.chunk"), ("created", 0), ("model", .string(model)),
                     ("choices", .array([.object([("index", 0), ("delta", delta), ("finish_reason", finish.map { .string($0) } ?? .null)])]))])
        }
        for i in 0...chunks.count {
            if b.stallAfter == i {
                pause(b.stallMs)
                return false
            }
            if b.truncateAfter == i { return event(nil) }
            if b.disconnectAfter == i { return false }
            if b.malformedAfter == i, !event("data: {\"choices\": [{\"delta\": {\"content\": \"oops\"\n\n") { return false }
            if b.errorEventAfter == i {
                let e = error("The server is overloaded, try again later.", type: "server_error", code: "overloaded")
                _ = event("data: \(e.serialized())\n\n")
                return event(nil)
            }
            if i == chunks.count { break }
            let delta: JSONValue = i == 0 ? .object([("role", "assistant"), ("content", .string(chunks[i]))]) : .object([("content", .string(chunks[i]))])
            if !event("data: \(chunk(delta).serialized())\n\n") { return false }
            pause(b.chunkDelayMs)
        }
        let usageChunk: JSONValue = .object([("id", "chatcmpl-fake"), ("object", "chat.completion.chunk"), ("created", 0),
                                             ("model", .string(model)), ("choices", .array([])), ("usage", usage)])
        return event("data: \(chunk(.object([]), finish: "stop").serialized())\n\n")
            && event("data: \(usageChunk.serialized())\n\n")
            && event("data: [DONE]\n\n")
            && event(nil)
    }

    /// Splits text into stream chunks of one word each, spaces kept, so the chunks join back exactly.
    static func split(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for ch in text {
            current.append(ch)
            if ch == " " || ch == "\n" {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    func error(_ message: String, type: String, code: String? = nil) -> JSONValue {
        .object([("error", .object([("message", .string(message)), ("type", .string(type)),
                                    ("param", .null), ("code", code.map { .string($0) } ?? .null)]))])
    }

    func sendJSON(_ status: Int, _ body: JSONValue) -> Bool {
        send(status, [("Content-Type", "application/json")], body.bytes())
    }

    func send(_ status: Int, _ headers: [(String, String)], _ body: [UInt8]) -> Bool {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return write(Array(head.utf8) + body)
    }

    /// Sends one HTTP chunk holding `text`; nil sends the last, empty chunk.
    func event(_ text: String?) -> Bool {
        guard let text else { return write(Array("0\r\n\r\n".utf8)) }
        let bytes = Array(text.utf8)
        return write(Array("\(String(bytes.count, radix: 16))\r\n".utf8) + bytes + [13, 10])
    }

    func write(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Waits `ms` milliseconds, or less if the client hangs up meanwhile, so a
    /// cancelled or timed-out client is seen to close its connection at once.
    func pause(_ ms: Int) {
        var left = min(ms, 3_600_000)
        while left > 0 {
            var p = pollfd(fd: fd, events: Int16(POLLIN) | Self.pollRDHUP, revents: 0)
            let step = min(left, 50)
            if poll(&p, 1, Int32(step)) > 0 {
                var byte: UInt8 = 0
                if p.revents & (Self.pollRDHUP | Int16(POLLHUP) | Int16(POLLERR)) != 0 || recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0 {
                    return
                }
                // Bytes of a next request: nothing to do until this response is done.
                usleep(UInt32(step) * 1000)
            }
            left -= step
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 529: return "Overloaded"
        default: return "Status"
        }
    }
}
