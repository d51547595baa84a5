import Testing
import Foundation
import FakeProvider
import TestSupport
import RouterCore

/// `llmr serve` through the built binaries, with curl as the client: both
/// formats whole and streamed through a failover, the error statuses, client
/// keys, limits, a stream cut after its first byte, and SIGTERM.
@Suite(.serialized) struct ServeEndToEndTests {
    /// A fake provider world with `llmr serve` running over it.
    final class Gateway: @unchecked Sendable {
        let world: FakeWorld
        let server: ShellRun.Background
        let base: String

        init(_ script: [String: [FakeBehaviour]], serve: String = "", environment: [String: String] = [:], arguments: [String] = []) throws {
            let port = Self.freePort()
            world = try FakeWorld(script: FakeScript(script), yaml: """
            providers:
              down: {api: openai, base_url: http://127.0.0.1:PORT/down/v1}
              up:   {api: anthropic, base_url: http://127.0.0.1:PORT/up}
              cut:  {api: openai, base_url: http://127.0.0.1:PORT/cut/v1}
              keyed: {api: anthropic, base_url: http://127.0.0.1:PORT/up, key_env: UP_KEY}
            models:
              md: {provider: down, id: d-1, input: 1, output: 2}
              mu: {provider: up, id: u-1, input: 1, output: 2}
              mc: {provider: cut, id: c-1}
              mk: {provider: keyed, id: u-1, input: 1, output: 2}
            routes:
              default: {retries: 0, targets: [md], fallback: [mu]}
              broken: {retries: 0, targets: [mc]}
              solo: {retries: 0, targets: [md]}
              keyed: {retries: 0, targets: [md], fallback: [mk]}
            serve: {listen: "127.0.0.1:\(port)"\(serve)}
            """)
            base = "http://127.0.0.1:\(port)"
            server = try ShellRun.Background(["serve", "--config", world.configPath] + arguments,
                                             environment: ["LLMR_STATE_DIR": world.stateDirectory].merging(environment) { $1 })
            _ = ShellRun.waitUntil(20) { (try? self.curl(["\(self.base)/healthz"]))?.status == 200 }
        }

        static func freePort() -> Int { RedisServer.freePort() }

        struct Reply { var status: Int; var headers: String; var body: String }

        /// curl with `args`; the status, the response headers and the body.
        func curl(_ args: [String]) throws -> Reply {
            let dir = world.directory
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            p.arguments = ["-s", "-N", "-D", dir + "/h", "-o", dir + "/b", "-w", "%{http_code}", "--max-time", "30"] + args
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            p.waitUntilExit()
            let code = Int(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) ?? 0
            return Reply(status: code, headers: (try? String(contentsOfFile: dir + "/h", encoding: .utf8)) ?? "",
                         body: (try? String(contentsOfFile: dir + "/b", encoding: .utf8)) ?? "")
        }

        func post(_ path: String, _ json: String, headers: [String] = []) throws -> Reply {
            try curl(["-X", "POST", base + path, "-H", "content-type: application/json", "--data-binary", json] + headers.flatMap { ["-H", $0] })
        }

        deinit { _ = server.stop(with: SIGTERM) }
    }

    static let hi = #"{"model":"default","messages":[{"role":"user","content":"hi"}]}"#

    @Test func bothFormatsWholeAndStreamedThroughAFailover() throws {
        let g = try Gateway(["down": [.status(503)], "up": [.answer("Hello there")]])
        let whole = try g.post("/v1/chat/completions", Self.hi)
        #expect(whole.status == 200, "\(whole.body)")
        #expect(whole.body.contains(#""content":"Hello there""#))
        #expect(whole.headers.lowercased().contains("x-llmr-provider: up"))
        #expect(whole.headers.lowercased().contains("x-llmr-attempts: 2"))
        let stream = try g.post("/v1/chat/completions", #"{"model":"default","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(stream.status == 200)
        #expect(stream.body.hasSuffix("data: [DONE]\n\n"), "\(stream.body)")
        #expect(stream.body.contains(#""content":"Hello"#))
        #expect(stream.headers.lowercased().contains("x-llmr-provider: up"), "the stream's head names who answers: \(stream.headers)")
        #expect(stream.headers.lowercased().contains("x-llmr-route: default"))
        let anthropic = try g.post("/v1/messages", #"{"model":"default","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(anthropic.status == 200)
        #expect(anthropic.body.contains(#""type":"message""#) && anthropic.body.contains("Hello there"))
        let anthropicStream = try g.post("/v1/messages", #"{"model":"default","max_tokens":20,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(anthropicStream.body.contains("event: message_stop"), "\(anthropicStream.body)")
        let models = try g.curl([g.base + "/v1/models"])
        #expect(models.body.contains(#""id":"default""#) && models.body.contains(#""id":"mu""#))
        // /metrics: Prometheus text, every sample line `name{labels} value`.
        let metrics = try g.curl([g.base + "/metrics"])
        #expect(metrics.status == 200)
        #expect(metrics.headers.lowercased().contains("content-type: text/plain; version=0.0.4"))
        #expect(metrics.body.contains(#"llmr_attempts_total{route="default",provider="down",model="md",outcome="http_503"} 4"#), "\(metrics.body)")
        #expect(metrics.body.contains(#"llmr_serve_requests_total{endpoint="/v1/chat/completions",status="200"} 2"#))
        #expect(metrics.body.contains(#"llmr_request_duration_seconds_bucket{route="default",le="+Inf"} 4"#))
        #expect(metrics.body.contains(#"llmr_ttft_seconds_count{provider="up",model="mu"}"#))
        #expect(metrics.body.contains("llmr_serve_in_flight 0"))
        for line in metrics.body.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.wholeMatch(of: /[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? [0-9.e+-]+/) != nil, "\(line)")
        }
        // Every attempt is recorded, as for ask.
        let stats = try LLMRProcess.run(["providers", "stats", "--json", "--config", g.world.configPath], environment: ["LLMR_STATE_DIR": g.world.stateDirectory])
        #expect(stats.stdout.contains(#""provider":"down""#), "\(stats.stdout)")
    }

    @Test func errorsComeInTheClientsFormat() throws {
        let g = try Gateway(["down": [.status(503)], "up": [.status(500)]], serve: ", max_body: 2KiB")
        let bad = try g.post("/v1/chat/completions", "{not json")
        #expect(bad.status == 400)
        #expect(bad.body.contains(#""type":"invalid_request_error""#))
        let badAnthropic = try g.post("/v1/messages", #"{"model":"default"}"#)
        #expect(badAnthropic.status == 400)
        #expect(badAnthropic.body.contains(#""type":"error""#))
        let unknown = try g.post("/v1/chat/completions", #"{"model":"nope","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(unknown.status == 404, "\(unknown.body)")
        let failed = try g.post("/v1/chat/completions", Self.hi)
        #expect(failed.status == 502, "\(failed.body)")
        #expect(failed.body.contains("every candidate failed"))
        let big = try g.post("/v1/chat/completions", #"{"model":"default","messages":[{"role":"user","content":""# + String(repeating: "x", count: 4096) + #""}]}"#)
        #expect(big.status == 413)
        #expect(try g.curl([g.base + "/nowhere"]).status == 404)
    }

    @Test func rateLimitedEverywhereIs429WithRetryAfter() throws {
        var limited = FakeBehaviour.status(429)
        limited.retryAfter = "3"
        let g = try Gateway(["down": [limited]])
        let r = try g.post("/v1/chat/completions", #"{"model":"solo","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(r.status == 429, "\(r.body)")
        #expect(r.headers.lowercased().contains("retry-after: 3"), "\(r.headers)")
    }

    @Test func clientKeysAreRequiredWhenConfigured() throws {
        let g = try Gateway(["up": [.answer("ok")]], serve: ", keys_env: GATEWAY_KEY", environment: ["GATEWAY_KEY": "k-gateway-1"])
        let solo = #"{"model":"mu","messages":[{"role":"user","content":"hi"}]}"#
        #expect(try g.post("/v1/chat/completions", solo).status == 401)
        #expect(try g.post("/v1/chat/completions", solo, headers: ["authorization: Bearer wrong"]).status == 401)
        #expect(try g.post("/v1/chat/completions", solo, headers: ["authorization: Bearer k-gateway-1"]).status == 200)
        #expect(try g.post("/v1/messages", #"{"model":"mu","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#,
                           headers: ["x-api-key: k-gateway-1"]).status == 200)
    }

    @Test func accessLinesAsJSONTellEachRequestAndNoKey() throws {
        let key = "sk-up-secret-0123456789abcdef"
        var echo = FakeBehaviour.answer("Hello there")
        echo.requireKey = key
        let g = try Gateway(["down": [.status(503)], "up": [echo]], environment: ["UP_KEY": key], arguments: ["--log", "json"])
        #expect(try g.post("/v1/chat/completions", #"{"model":"keyed","messages":[{"role":"user","content":"hi"}]}"#).status == 200)
        #expect(try g.post("/v1/messages", #"{"model":"keyed","max_tokens":20,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#).status == 200)
        #expect(try g.post("/v1/chat/completions", #"{"model":"nope","messages":[{"role":"user","content":"hi"}]}"#).status == 404)
        let (stopped, _) = g.server.stop(with: SIGTERM)
        #expect(!stopped.stderr.contains(key))
        let lines = stopped.stderr.split(separator: "\n").map(String.init)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            if let object { objects.append(object) }
        }
        #expect(objects.first?["event"] as? String == "listening")
        let requests = objects.filter { $0["path"] != nil && $0["path"] as? String != "/healthz" }
        #expect(requests.count == 3, "\(lines)")
        guard requests.count == 3 else { return }
        #expect(requests[0]["method"] as? String == "POST" && requests[0]["status"] as? Int == 200)
        #expect(requests[0]["provider"] as? String == "keyed" && requests[0]["attempts"] as? Int == 2 && requests[0]["route"] as? String == "keyed")
        #expect(requests[0]["stream"] as? Bool == false && (requests[0]["cost_usd"] as? Double ?? 0) > 0)
        #expect((requests[0]["time"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        #expect(requests[0]["client"] as? String == "127.0.0.1")
        #expect(requests[1]["path"] as? String == "/v1/messages" && requests[1]["stream"] as? Bool == true && requests[1]["broken"] as? Bool == false)
        #expect(requests[2]["status"] as? Int == 404 && (requests[2]["error"] as? String ?? "").contains("nope"))
    }

    @Test func accessLinesAsTextNameWhoAnswered() throws {
        let g = try Gateway(["down": [.status(503)], "up": [.answer("Hello there")]])
        #expect(try g.post("/v1/chat/completions", Self.hi).status == 200)
        let (stopped, _) = g.server.stop(with: SIGTERM)
        let line = stopped.stderr.split(separator: "\n").first { $0.contains("POST") }.map(String.init) ?? ""
        #expect(line.wholeMatch(of: /llmr serve: POST \/v1\/chat\/completions 200 \d+ ms route=default provider=up model=mu attempts=2 cost_usd=[0-9.]+/) != nil, "\(line)")
        let bad = try LLMRProcess.run(["serve", "--log", "xml", "--config", g.world.configPath], environment: ["LLMR_STATE_DIR": g.world.stateDirectory])
        #expect(bad.exitCode == 64 && bad.stderr.contains("--log takes text or json"), "\(bad.stderr)")
    }

    @Test func aStreamCutAfterItsFirstByteIsNeverDone() throws {
        var cut = FakeBehaviour.answer("one two three four five")
        cut.disconnectAfter = 2
        let g = try Gateway(["cut": [cut]])
        let r = try g.post("/v1/chat/completions", #"{"model":"broken","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(r.status == 200)
        #expect(r.body.contains(#""content":"one"#), "\(r.body)")
        #expect(!r.body.contains("[DONE]"), "\(r.body)")
        #expect(r.body.contains(#"data: {"error":"#), "\(r.body)")
    }

    @Test func sigtermLetsAStreamInFlightFinish() throws {
        var slow = FakeBehaviour.answer("a b c d e f g h")
        slow.chunkDelayMs = 150
        let g = try Gateway(["up": [slow]])
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        client.arguments = ["-s", "-N", "-X", "POST", g.base + "/v1/chat/completions", "-H", "content-type: application/json",
                            "--data-binary", #"{"model":"mu","stream":true,"messages":[{"role":"user","content":"hi"}]}"#]
        let out = Pipe()
        client.standardOutput = out
        try client.run()
        // The stream is in flight once its first bytes arrived: then SIGTERM, however long that took.
        let first = out.fileHandleForReading.availableData
        let (stopped, _) = g.server.stop(with: SIGTERM)
        client.waitUntilExit()
        let body = String(decoding: first + out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(body.hasSuffix("data: [DONE]\n\n"), "\(body)")
        #expect(stopped.exitCode == 0, "\(stopped.stderr)")
    }

    /// Sends `text` on a new connection and reads until the server closes it
    /// (or 30 s pass): what came back.
    static func raw(_ port: Int, _ text: String, waitMs: Int = 30_000) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard withUnsafePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }) == 0 else { return "" }
        var timeout = timeval(tv_sec: waitMs / 1000, tv_usec: Int((waitMs % 1000) * 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = text.withCString { send(fd, $0, strlen($0), 0) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A client that asks for a stream and then reads nothing: once its
    /// connection has taken all it can and nothing more goes out for
    /// `serve.idle_timeout`, the gateway drops it and stops the upstream
    /// request, instead of holding the rest of the answer in memory.
    @Test func aClientThatStopsReadingIsDroppedAndItsRequestStopped() throws {
        // About 40 MB of answer over at least 20 s: far more than the socket buffers hold, far longer than the timeout.
        let chunk = String(repeating: "x", count: 2000)
        var long = FakeBehaviour.answer(String(repeating: chunk, count: 20_000))
        long.chunks = Array(repeating: chunk, count: 20_000)
        long.chunkDelayMs = 1
        let g = try Gateway(["up": [long]], serve: ", idle_timeout: 1s")
        let port = Int(g.base.split(separator: ":").last ?? "") ?? 0
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        #expect(withUnsafePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }) == 0)
        let body = #"{"model":"mu","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        // Not a byte read: the gateway ends the request long before the answer could have ended (20 s at the least).
        let began = ShellRun.waitUntil(10) { (try? g.curl([g.base + "/metrics"]))?.body.contains("llmr_serve_in_flight 1") ?? false }
        #expect(began)
        let started = Date()
        let ended = ShellRun.waitUntil(15) { (try? g.curl([g.base + "/metrics"]))?.body.contains("llmr_serve_in_flight 0") ?? false }
        #expect(ended, "the request of a client that reads nothing is still in flight after 15 s")
        #expect(Date().timeIntervalSince(started) < 15)
        // Other clients were answered all along.
        #expect(try g.curl([g.base + "/healthz"]).status == 200)
        // The upstream request was stopped, and its attempt recorded.
        let (stopped, _) = g.server.stop(with: SIGTERM)
        #expect(stopped.stderr.contains("read nothing for serve.idle_timeout"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("stream broken provider=up model=mu attempts=1"), "\(stopped.stderr)")
    }

    @Test func aSilentConnectionIsClosedAndAHalfSentRequestGets408() throws {
        let g = try Gateway(["up": [.answer("ok")]], serve: ", idle_timeout: 1s")
        let port = Int(g.base.split(separator: ":").last ?? "") ?? 0
        let half = Self.raw(port, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        #expect(half.hasPrefix("HTTP/1.1 408"), "\(half)")
        // Nothing sent at all: closed, with nothing said.
        #expect(Self.raw(port, "") == "")
        // A slow answer is not cut by the idle timeout.
        var slow = FakeBehaviour.answer("a b c d")
        slow.chunkDelayMs = 600
        let g2 = try Gateway(["up": [slow]], serve: ", idle_timeout: 1s")
        let r = try g2.post("/v1/chat/completions", #"{"model":"mu","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(r.body.hasSuffix("data: [DONE]\n\n"), "\(r.body)")
    }

    /// Seeded fuzz: hundreds of requests made of broken HTTP, odd paths and
    /// headers, and JSON bodies with every field of the wrong kind. The
    /// gateway answers each (or closes the connection) and stays up.
    @Test func noRequestCrashesTheGateway() throws {
        let g = try Gateway(["up": [.answer("ok")]], serve: ", idle_timeout: 1s, max_body: 64KiB")
        let port = Int(g.base.split(separator: ":").last ?? "") ?? 0
        var rng = SeededRandom(seed: 23)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let values = [#""x""#, "1", "-1", "1e400", "null", "true", "[]", "{}", #"[{"type":"image"}]"#, #""\ud800""#, "99999999999999999999",
                      ##"{"type":"json_schema","json_schema":{"schema":{"$ref":"#"}}}"##, #"{"type":"json_schema","json_schema":{"schema":{"type":"object"}}}"#]
        let fields = ["model", "messages", "max_tokens", "max_completion_tokens", "temperature", "stream", "stream_options", "stop",
                      "response_format", "system", "stop_sequences", "tools", "n", "output_config"]
        for i in 0..<200 {
            var body = "{"
            for j in 0..<Int(rng.next() % 6) {
                let f = pick(fields)
                let v = f == "messages" && rng.next() % 2 == 0 ? #"[{"role":"\#(pick(["user", "system", "tool", "assistant", ""]))","content":\#(pick(values))}]"# : pick(values)
                body += (j > 0 ? "," : "") + "\"\(f)\":\(v)"
            }
            body += "}"
            if i % 7 == 0 { body = String(body.prefix(Int(rng.next() % UInt64(body.count + 1)))) }
            let path = pick(["/v1/chat/completions", "/v1/messages", "/v1/models", "/healthz", "/metrics", "/%00", "/v1/../etc", "//", "*"])
            let method = pick(["POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS", "BREW"])
            var request = "\(method) \(path) HTTP/1.1\r\nHost: x\r\n"
            switch i % 5 {
            case 0: request += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
            case 1: request += "Transfer-Encoding: chunked\r\n\r\n\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n"
            case 2: request += "Content-Length: 99999999999\r\n\r\n\(body)"
            case 3: request += "Content-Length: -5\r\nX-Bad: \u{1}\r\n\r\n\(body)"
            default: request = String(request.prefix(Int(rng.next() % UInt64(request.count)))) + "\u{0}\u{FF}garbage\r\n\r\n"
            }
            // What comes back within 200 ms: a keep-alive connection is not waited out.
            _ = Self.raw(port, request, waitMs: 200)
        }
        #expect(try g.curl([g.base + "/healthz"]).status == 200)
        #expect(try g.post("/v1/chat/completions", #"{"model":"mu","messages":[{"role":"user","content":"hi"}]}"#).status == 200)
        #expect(g.server.process.isRunning)
    }
}
