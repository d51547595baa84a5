import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes one scripted response in the wire format the request asked for, faults included.
struct ResponseWriter {
    let fd: Int32
    /// Told how many bytes each successful send wrote.
    var sent: (Int) -> Void = { _ in }
    /// Linux's POLLRDHUP (peer closed its end), which Glibc's module leaves out.
    static let pollRDHUP: Int16 = 0x2000

    /// The wire format a request path asks for, or nil for an unknown endpoint.
    static func api(for request: RecordedRequest) -> (any FakeAPI)? {
        guard request.method == "POST" else { return nil }
        let path = request.path.split(separator: "?").first.map(String.init) ?? request.path
        if path.hasSuffix("/chat/completions") { return FakeOpenAI() }
        if path.hasSuffix("/v1/messages") { return FakeAnthropic() }
        if path.hasSuffix(":generateContent") || path.hasSuffix(":streamGenerateContent") { return FakeGemini() }
        return nil
    }

    /// The wire format whose model list a GET path asks for.
    static func listingAPI(for request: RecordedRequest) -> any FakeAPI {
        if request.path.hasSuffix("/v1beta/models") { return FakeGemini() }
        if request.header("anthropic-version") != nil { return FakeAnthropic() }
        return FakeOpenAI()
    }

    /// Answers `request`; false means the connection must be closed.
    func respond(to request: RecordedRequest, with behaviour: FakeBehaviour?) -> Bool {
        // A raw body with a 200: served as it is, for any path and method (a price list, a file).
        if let b = behaviour, b.status == 200, let raw = b.body {
            return send(200, b.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + [("Content-Type", b.contentType ?? "application/json")],
                        Array(raw.utf8))
        }
        let listing = request.method == "GET" && request.path.hasSuffix("/models")
        guard let api = listing ? Self.listingAPI(for: request) : Self.api(for: request) else {
            return sendJSON(404, FakeOpenAI().errorBody(status: 404, message: "unknown endpoint \(request.method) \(request.path)"))
        }
        guard let b = behaviour else {
            return sendJSON(404, api.errorBody(status: 404, message: "no fake provider is scripted for '\(request.provider)'"))
        }
        if b.disconnect { return false }
        pause(b.delayMs)
        if let key = b.requireKey, !api.hasKey(request, key) {
            return sendJSON(401, api.errorBody(status: 401, message: "invalid x-api-key or bearer token"))
        }
        if b.echoKey {
            let bearer = request.header("authorization").map { String($0.dropFirst("Bearer ".count)) }
            let sent = bearer ?? request.header("x-api-key") ?? request.header("x-goog-api-key") ?? ""
            return sendJSON(401, api.errorBody(status: 401, message: "Incorrect API key provided: \(sent). Find your key in the console."))
        }
        if b.status != 200 {
            var headers = b.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            if let r = b.retryAfter { headers.append(("Retry-After", r)) }
            if let raw = b.body {
                return send(b.status, headers + [("Content-Type", b.contentType ?? "text/plain")], Array(raw.utf8))
            }
            let body = api.errorBody(status: b.status, message: "scripted failure with status \(b.status)")
            return send(b.status, headers + [("Content-Type", "application/json")], body.bytes())
        }
        if listing, b.noModelList {
            return sendJSON(404, .object([("detail", "Not Found")]))
        }
        if listing {
            // A model list: what health checks ask for.
            return sendJSON(200, .object([("object", "list"), ("data", .array([.object([("id", "fake-model"), ("object", "model")])]))]))
        }
        let json = (try? JSONValue.parse(request.body)) ?? .null
        let model = json["model"]?.string ?? request.path.split(separator: "/").last.map { String($0.split(separator: ":")[0]) } ?? "fake-model"
        var text = b.echo ? api.lastUserText(json) : String(repeating: b.text, count: b.repeatCount)
        // A request that ends in a partial answer gets the rest of it, as a model
        // continuing its own words would give.
        if !b.ignorePrefill, let prefill = api.prefill(json), !prefill.isEmpty, text.hasPrefix(prefill) {
            text = String(text.dropFirst(prefill.count))
        }
        let input = b.inputTokens ?? max(1, request.body.count / 4)
        // Scripted chunks stand as they are, unless a prefill changed the text.
        let chunks = b.chunks.flatMap { $0.joined() == text ? $0 : nil } ?? Self.split(text)
        let asked = json["max_tokens"]?.double ?? json["max_completion_tokens"]?.double ?? json["generationConfig"]?["maxOutputTokens"]?.double
        let output = b.billMaxTokens ? asked.map { Int(saturating: $0) } ?? b.outputTokens ?? chunks.count : b.outputTokens ?? chunks.count
        var ending = FakeEnding(input: input, output: output, finish: b.finish, usage: b.usage, usageLast: b.usageAfterFinish)
        if api is FakeAnthropic, json["tool_choice"]?["type"]?.string == "tool" { ending.tool = json["tool_choice"]?["name"]?.string }
        if !api.wantsStream(request, json) {
            var bytes = api.whole(text, model: model, ending: ending).bytes()
            if b.disconnectAfter != nil {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\r\n"
                _ = write(Array(head.utf8) + bytes.prefix(bytes.count / 2))
                return false
            }
            if b.truncateAfter != nil || b.malformedAfter != nil { bytes = Array(bytes.prefix(bytes.count / 2)) }
            return send(200, b.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + [("Content-Type", "application/json")], bytes)
        }
        let extra = b.headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\r\n" }.joined()
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\(extra)Transfer-Encoding: chunked\r\n\r\n"
        guard write(Array(head.utf8)) else { return false }
        if b.bom, !event("\u{FEFF}") { return false }
        // The preamble (Anthropic's message_start) comes at once; the first token may not.
        for e in api.streamStart(model: model, ending: ending) where !event(e) { return false }
        pause(b.firstTokenDelayMs)
        let logged = SendLog.newStream()
        for i in 0...chunks.count {
            if b.stallAfter == i {
                pause(b.stallMs)
                return false
            }
            if b.truncateAfter == i { return event(nil) }
            if b.disconnectAfter == i { return false }
            if b.malformedAfter == i, !event("data: {\"not json\n\n") { return false }
            if b.errorEventAfter == i {
                _ = event(api.streamError())
                return event(nil)
            }
            if i == chunks.count { break }
            if !event(api.streamText(chunks[i], model: model, first: i == 0, ending: ending)) { return false }
            if let logged { SendLog.sent(stream: logged, chunk: i) }
            // Chunks `chunk_delay_ms` apart: no wait after the last one, before the end marker.
            if i < chunks.count - 1 { pause(b.chunkDelayMs) }
        }
        for e in api.streamEnd(model: model, ending: ending) where !event(e) { return false }
        // What some servers do after the end marker: keep the connection open, or send more.
        pause(b.holdOpenMs)
        if let extra = b.afterEnd, !event(extra) { return false }
        return event(nil)
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
            self.sent(n)
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
