import Testing
import FakeProvider
import RouterCore
@testable import CurlTransport

/// The libcurl transport against the fake provider on loopback.
@Suite struct CurlTransportTests {
    func post(_ server: FakeServer, _ provider: String, stream: Bool = true, timeouts: Timeouts = Timeouts()) -> HTTPRequest {
        let body = #"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":\#(stream)}"#
        return HTTPRequest(url: server.baseURL(provider) + "/chat/completions",
                           headers: [("Content-Type", "application/json")], body: Array(body.utf8), timeouts: timeouts)
    }

    /// Reads a whole exchange: status, headers, body.
    func collect(_ stream: HTTPResponseStream) async throws -> (HTTPHead?, [UInt8]) {
        var head: HTTPHead?
        var body: [UInt8] = []
        for try await event in stream {
            switch event {
            case .head(let h): head = h
            case .body(let b): body += b
            }
        }
        return (head, body)
    }

    @Test func streamsABody() async throws {
        let server = try FakeServer(script: FakeScript(["p": [.answer("one two three")]]))
        let (head, body) = try await collect(CurlTransport().send(post(server, "p")))
        #expect(head?.status == 200)
        #expect(head?.header("content-type") == "text/event-stream")
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasSuffix("data: [DONE]\n\n"))
        #expect(text.contains(#""content":"two ""#))
    }

    /// A consumer that comes late still learns when each piece arrived: the
    /// times are the transport's, not the moment the consumer took the piece.
    @Test func eachPieceKnowsWhenItArrived() async throws {
        var paced = FakeBehaviour.answer("one two three four")
        paced.chunkDelayMs = 400
        let server = try FakeServer(script: FakeScript(["p": [paced]]))
        let sent = SystemClock().now()
        let stream = CurlTransport().send(post(server, "p"))
        // Start reading late: the first pieces have arrived by then.
        while SystemClock().now() - sent < 0.6 { try await Task.sleep(nanoseconds: 20_000_000) }
        var arrivals: [Double] = []
        var taken: [Double] = []
        for try await event in stream {
            if case .body = event, let t = stream.lastArrival {
                arrivals.append(t)
                taken.append(SystemClock().now())
            }
        }
        try #require(arrivals.count >= 3)
        #expect(zip(arrivals, taken).allSatisfy { $0 >= sent && $0 <= $1 })
        #expect(taken[0] - arrivals[0] > 0.3)
        // Four chunks 400 ms apart arrive over at least 1.2 s, however they were read (a wide margin).
        #expect((arrivals.last ?? 0) - (arrivals.first ?? 0) >= 0.2)
    }

    @Test func errorStatusAndHeadersArrive() async throws {
        let server = try FakeServer(script: FakeScript(["p": [.status(429, retryAfter: "7")]]))
        let (head, body) = try await collect(CurlTransport().send(post(server, "p")))
        #expect(head?.status == 429)
        #expect(head?.header("retry-after") == "7")
        #expect(!body.isEmpty)
    }

    @Test func manyTransfersRunAtOnce() async throws {
        var slow = FakeBehaviour.answer("slow")
        slow.delayMs = 300
        let server = try FakeServer(script: FakeScript(["p": [slow]]))
        let transport = CurlTransport()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 {
                group.addTask { try await collect(transport.send(post(server, "p"))).0?.status ?? 0 }
            }
            for try await status in group { #expect(status == 200) }
        }
        #expect(server.peakConcurrency == 6)
    }

    @Test func connectionsAreReused() async throws {
        let server = try FakeServer(script: FakeScript(["p": [.answer("again")]]))
        let transport = CurlTransport()
        for _ in 0..<3 { _ = try await collect(transport.send(post(server, "p"))) }
        #expect(server.requests.count == 3)
        #expect(server.acceptedConnections == 1)
    }

    /// Easy handles are kept from one request to the next: nothing of a
    /// request (method, body, headers) may reach the one after it.
    @Test func aKeptHandleCarriesNothingOver() async throws {
        let server = try FakeServer(script: FakeScript(["p": [.answer("first")]]))
        let transport = CurlTransport()
        var first = post(server, "p", stream: false)
        first.headers.append(("X-Only-First", "1"))
        let (head1, _) = try await collect(transport.send(first))
        let get = HTTPRequest(method: "GET", url: server.baseURL("p") + "/models", headers: [], body: [])
        let (head2, _) = try await collect(transport.send(get))
        let (head3, _) = try await collect(transport.send(post(server, "p", stream: false)))
        #expect([head1?.status, head2?.status, head3?.status] == [200, 200, 200])
        let seen = server.requests
        try #require(seen.count == 3)
        #expect(seen[0].method == "POST" && seen[0].header("x-only-first") == "1")
        #expect(seen[1].method == "GET" && seen[1].body.isEmpty && seen[1].header("x-only-first") == nil)
        #expect(seen[1].header("content-type") == nil)
        #expect(seen[2].method == "POST" && seen[2].header("x-only-first") == nil && seen[2].body == post(server, "p", stream: false).body)
        #expect(server.acceptedConnections == 1)
    }

    @Test func endingTheIterationCancelsTheTransfer() async throws {
        var stall = FakeBehaviour.answer("a b c")
        stall.stallAfter = 1
        stall.stallMs = 20_000
        let server = try FakeServer(script: FakeScript(["p": [stall]]))
        let transport = CurlTransport()
        for try await event in transport.send(post(server, "p")) {
            if case .body = event { break } // the consumer walks away mid-stream
        }
        // The transport closes the connection; the server sees it go.
        var waited = 0
        while server.openConnections > 0, waited < 500 {
            try await Task.sleep(nanoseconds: 10_000_000)
            waited += 1
        }
        #expect(server.openConnections == 0)
    }

    @Test func aSlowConsumerPausesTheTransferInsteadOfBuffering() async throws {
        // 480 words of 64 KiB, one event each: about 30 MB, quick for the server to write.
        var long = FakeBehaviour.answer(String(repeating: "x", count: 65536) + " ")
        long.repeatCount = 480
        let server = try FakeServer(script: FakeScript(["p": [long]]))
        var iterator = CurlTransport().send(post(server, "p")).makeAsyncIterator()
        _ = try await iterator.next() // the head
        _ = try await iterator.next() // a first chunk, then the consumer dawdles
        try await Task.sleep(nanoseconds: 1_000_000_000)
        // Unpaused, loopback would have carried all 30 MB by now; paused, what
        // left the server is the high-water mark plus the sockets' buffers.
        #expect(server.bytesSent < 8 << 20, "\(server.bytesSent) bytes sent")
        var body = 0
        while let event = try await iterator.next() {
            if case .body(let b) = event { body += b.count }
        }
        #expect(server.bytesSent > 25 << 20)
        #expect(body > 25 << 20)
    }

    @Test func refusedConnection() async throws {
        let request = HTTPRequest(url: "http://127.0.0.1:1/v1/chat/completions", headers: [], body: [])
        await #expect(throws: TransportFailure.self) { _ = try await collect(CurlTransport().send(request)) }
        do { _ = try await collect(CurlTransport().send(request)) } catch let f as TransportFailure {
            guard case .connectionRefused = f else { Issue.record("expected connectionRefused, got \(f)"); return }
        }
    }

    @Test func idleAndFirstTokenTimeouts() async throws {
        var stall = FakeBehaviour.answer("a b c")
        stall.stallAfter = 1
        stall.stallMs = 60_000
        var silent = FakeBehaviour.answer("a b c")
        silent.delayMs = 60_000
        let server = try FakeServer(script: FakeScript(["stall": [stall], "silent": [silent]]))
        // The stalling server's first-token deadline is far off: the consumer must get to run
        // and say the answer began before it, which a loaded machine (the whole suite in
        // parallel, blocking end-to-end tests on the shared threads) has delayed by seconds.
        let cases = [("stall", Timeouts(total: 120, connect: 5, firstToken: 60, idle: 0.4), TransportFailure.idleTimeout),
                     ("silent", Timeouts(total: 120, connect: 5, firstToken: 1.5, idle: 0.4), .firstTokenTimeout)]
        for (provider, t, expected) in cases {
            let stream = CurlTransport().send(post(server, provider, timeouts: t))
            do {
                for try await event in stream {
                    // What a consumer does on its first token: the idle clock takes over.
                    if case .body = event { stream.answerBegan() }
                }
                Issue.record("\(provider) should time out")
            } catch let f as TransportFailure {
                #expect(f == expected)
            }
        }
    }

    @Test func bytesBeforeTheAnswerDoNotStopTheFirstTokenClock() async throws {
        // Anthropic-style: a preamble at once, then nothing.
        var slow = FakeBehaviour.answer("a b c")
        slow.firstTokenDelayMs = 5_000
        let server = try FakeServer(script: FakeScript(["p": [slow]]))
        let request = HTTPRequest(url: "http://127.0.0.1:\(server.port)/p/v1/messages", headers: [("Content-Type", "application/json")],
                                  body: Array(#"{"model":"m","max_tokens":5,"messages":[],"stream":true}"#.utf8),
                                  timeouts: Timeouts(total: 30, connect: 5, firstToken: 0.3, idle: 10))
        var sawPreamble = false
        do {
            for try await event in CurlTransport().send(request) {
                if case .body(let b) = event, String(decoding: b, as: UTF8.self).contains("message_start") { sawPreamble = true }
            }
            Issue.record("no first token: must time out")
        } catch let f as TransportFailure {
            #expect(f == .firstTokenTimeout)
        }
        #expect(sawPreamble)
    }

    @Test func droppedMidBody() async throws {
        var drop = FakeBehaviour.answer("a b c d")
        drop.disconnectAfter = 2
        let server = try FakeServer(script: FakeScript(["p": [drop]]))
        do {
            _ = try await collect(CurlTransport().send(post(server, "p")))
            Issue.record("a dropped connection must not look complete")
        } catch let f as TransportFailure {
            guard case .dropped = f else { Issue.record("expected dropped, got \(f)"); return }
        }
    }
}
