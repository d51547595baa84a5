import Testing
import Providers
import FakeProvider
import TestSupport
@testable import CLI
@testable import RouterCore

/// Seeded, bounded fuzzing of what servers send — status lines, `Retry-After`
/// and friends, and SSE bodies in each API's format, cut, corrupted and
/// re-chunked — through the router and the `--json` report, in process.
/// The properties: nothing traps; a stream cut before its end marker is never
/// a success; counts and waits stay in range; no key survives into output.
@Suite(.serialized) struct ResponseFuzzTests {
    static let key = "sk-fuzz-0123456789abcdefKEY9"
    static let config: Config = {
        let yaml = """
        providers:
          o: {api: openai, base_url: http://o/v1, key_env: K}
          a: {api: anthropic, base_url: http://a, key_env: K}
          g: {api: gemini, base_url: http://g, key_env: K}
        models:
          mo: {provider: o, input: 1, output: 2}
          ma: {provider: a, input: 1, output: 2}
          mg: {provider: g, input: 1, output: 2}
        routes:
          o: {retries: 1, targets: [mo]}
          a: {retries: 1, targets: [ma]}
          g: {retries: 1, targets: [mg]}
        """
        do { return try ConfigLoader.load(yaml: yaml, source: "t") } catch { fatalError("\(error)") }
    }()

    static let fixtures: String = {
        var path = #filePath
        while let last = path.lastIndex(of: "/"), !path.hasSuffix("/Tests") { path = String(path[..<last]) }
        return path + "/ProvidersTests/Fixtures/"
    }()

    /// Each API's streamed answer and the text that marks its end.
    static let streams: [(route: String, host: String, body: [UInt8], end: String)] = [
        ("o", "http://o", FileBytes.read(fixtures + "openai/stream-basic.sse") ?? [], "data: [DONE]"),
        ("a", "http://a", FileBytes.read(fixtures + "anthropic/stream-basic.sse") ?? [], "event: message_stop"),
        ("g", "http://g", FileBytes.read(fixtures + "gemini/stream-basic.sse") ?? [], "\"finishReason\""),
    ]

    static let retryAfters = ["1", "0", "-1", "1e19", "1e300", "nan", "inf", "", "soon", "Sun, 06 Nov 1994 08:49:37 GMT",
                              "Sun, 06 Nov 99999999999 08:49:37 GMT", "Sunday, 06-Nov-9223372036854775807 08:49:37 GMT",
                              "Wed, 99 Foo 2026 99:99:99 GMT", "18446744073709551616", "0x10", "\(key)"]
    static let numbers = ["1e300", "-5", "99999999999999999999", "9007199254740993", "NaN", "-0", "1.5", "\"12\"", "null", "[]"]

    func run(_ route: String, _ replies: [String: [ScriptedTransport.Reply]]) async throws -> RouteResult {
        let clock = ManualClock()
        let router = Router(transport: ScriptedTransport(replies, clock: clock), wires: Wires.all, keys: FixedKeys(["o": Self.key, "a": Self.key, "g": Self.key]), clock: clock)
        var rng = SeededRandom(seed: 1)
        let request = ChatRequest(messages: [Message(role: .user, content: "hi")])
        let plan = try Planner(config: Self.config).plan(request, selection: .route(route), using: &rng)
        return await router.execute(plan, request: request, live: false, using: &rng) { _ in }
    }

    /// `body` in random pieces, as a network would deliver it.
    func chunks<G: RandomNumberGenerator>(_ body: [UInt8], using g: inout G) -> [String] {
        var out: [String] = []
        var i = 0
        while i < body.count {
            let n = Int.random(in: 1...max(1, min(64, body.count - i)), using: &g)
            out.append(String(decoding: body[i..<(i + n)], as: UTF8.self))
            i += n
        }
        return out
    }

    /// Checks what every result must satisfy, whatever the server sent;
    /// returns whether the result itself held the key (the server echoed it).
    @discardableResult
    func check(_ r: RouteResult) -> Bool {
        for a in r.attempts {
            if let wait = a.retryAfterS { #expect(wait >= 0 && wait <= RetryAfter.limit) }
            if let u = a.usage { #expect(u.inputTokens >= 0 && u.outputTokens >= 0) }
        }
        Secrets.register(Self.key)
        let json = Report.json(r).serialized()
        // What --json and the error message would print, through the same path as every write.
        #expect(!Output.shown(json).contains(Self.key))
        if let message = r.failure?.message { #expect(!Output.shown(message).contains(Self.key)) }
        for a in r.attempts { _ = DurationParser.format(a.retryAfterS ?? 0) }
        return json.contains(Self.key)
    }

    @Test func statusAndRetryAfterHeaders() async throws {
        var g = SeededRandom(seed: 11)
        var echoed = 0
        for i in 0..<600 {
            let s = Self.streams[i % 3]
            let status = [200, 429, 503, 500, 529, 401, 404, 400, 302, 0, 999].randomElement(using: &g)!
            var headers = [("Retry-After", Self.retryAfters.randomElement(using: &g)!)]
            headers.append(("Content-Type", ["text/event-stream", "application/json", "", "text/html"].randomElement(using: &g)!))
            let body = status == 200 ? chunks(s.body, using: &g) : ["{\"error\":{\"message\":\"bad key \(Self.key)\",\"code\":\(Self.numbers.randomElement(using: &g)!)}}"]
            let r = try await run(s.route, [s.host: [.response(status: status, headers: headers, chunks: body)]])
            if check(r) { echoed += 1 }
            if status != 200 { #expect(r.failure != nil) }
        }
        // The servers echoed the key into many results: the redaction was put to the test.
        #expect(echoed > 100, "results that held the key: \(echoed)")
    }

    @Test func streamsCutBeforeTheirEndMarkerNeverSucceed() async throws {
        var g = SeededRandom(seed: 12)
        for i in 0..<900 {
            let s = Self.streams[i % 3]
            let text = String(decoding: s.body, as: UTF8.self)
            guard let end = text.utf8.firstRange(of: s.end.utf8)?.lowerBound else {
                Issue.record("fixture for \(s.route) lacks its end marker")
                return
            }
            let cut = Int.random(in: 0..<text.utf8.distance(from: text.utf8.startIndex, to: end), using: &g)
            let body = Array(s.body.prefix(cut))
            let r = try await run(s.route, [s.host: [.response(status: 200, headers: [("Content-Type", "text/event-stream")], chunks: chunks(body, using: &g))]])
            check(r)
            #expect(r.failure != nil, "\(s.route) cut at \(cut) bytes was taken as a whole answer: \(r.text ?? "")")
        }
    }

    @Test func corruptedStreamsAndHostileNumbers() async throws {
        var g = SeededRandom(seed: 13)
        for i in 0..<900 {
            let s = Self.streams[i % 3]
            var body = s.body
            switch i % 3 {
            case 0:
                // A few bytes overwritten at random.
                for _ in 0..<Int.random(in: 1...4, using: &g) {
                    body[Int.random(in: 0..<body.count, using: &g)] = UInt8.random(in: 0...255, using: &g)
                }
            case 1:
                // Token counts replaced with hostile numbers.
                var text = String(decoding: body, as: UTF8.self)
                for field in ["\"input_tokens\":25", "\"output_tokens\":15", "\"promptTokenCount\": 9", "\"candidatesTokenCount\": 4",
                              "\"prompt_tokens\":", "\"completion_tokens\":"] where text.contains(field) {
                    let name = field.split(separator: ":")[0]
                    text = text.replacingOccurrences(of: field, with: "\(name): \(Self.numbers.randomElement(using: &g)!)")
                }
                body = Array(text.utf8)
            default:
                // An event of random bytes in the middle.
                let junk = (0..<Int.random(in: 1...40, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
                let at = Int.random(in: 0...body.count, using: &g)
                body.insert(contentsOf: Array("data: ".utf8) + junk + Array("\n\n".utf8), at: at)
            }
            let r = try await run(s.route, [s.host: [.response(status: 200, headers: [("Content-Type", "text/event-stream")], chunks: chunks(body, using: &g))]])
            check(r)
        }
    }
}
