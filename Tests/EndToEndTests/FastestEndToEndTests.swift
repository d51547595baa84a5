import Testing
import Foundation
import FakeProvider
import TestSupport

/// `strategy: fastest` from the shared attempt log, and a conversation that
/// stays on the candidate that answered its last turn.
@Suite(.serialized) struct FastestEndToEndTests {
    static let yaml = """
    providers:
      slow: {api: openai, base_url: http://127.0.0.1:PORT/slow/v1}
      quick: {api: anthropic, base_url: http://127.0.0.1:PORT/quick}
    models:
      s: {provider: slow, id: s-1}
      q: {provider: quick, id: q-1}
    routes:
      default: {strategy: fastest, retries: 0, targets: [s, q]}
      either: {strategy: weighted, retries: 0, targets: [{model: s, weight: 1}, {model: q, weight: 1}]}
    """

    func world() throws -> FakeWorld {
        var slow = FakeBehaviour.answer("slowly")
        slow.firstTokenDelayMs = 300
        return try FakeWorld(script: FakeScript(["slow": [slow]], unscripted: .echo()), yaml: Self.yaml)
    }

    /// After a dozen requests, at least 8 of the next 10 go to the provider whose first token comes 300 ms sooner.
    @Test func theQuickerProviderGetsTheRequests() throws {
        let w = try world()
        // Seeded requests: the default 5% exploration is the same on every run of this test.
        for i in 0..<12 { #expect(try w.run(["--stream", "--seed", "\(100 + i)", "warm \(i)"]).exitCode == 0) }
        let before = w.server.requests.count
        for i in 0..<10 { #expect(try w.run(["--stream", "--seed", "\(200 + i)", "measured \(i)"]).exitCode == 0) }
        let next = w.server.requests.dropFirst(before)
        #expect(next.filter { $0.provider == "quick" }.count >= 8, "\(next.map(\.provider))")
        let route = try LLMRProcess.run(["route", "--config", w.configPath, "hi"], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(route.stdout.contains("median first token"), "\(route.stdout)")
    }

    /// Each turn of a chat goes where the first one was answered, although the route picks at random.
    @Test func aConversationStaysOnTheCandidateThatAnsweredItsLastTurn() throws {
        let w = try world()
        let r = try LLMRProcess.run(["chat", "--config", w.configPath, "-r", "either", "-v"],
                                    stdin: Array("one\ntwo\nthree\nfour\nfive\nsix\n".utf8),
                                    environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(r.exitCode == 0, "\(r.stderr)")
        let providers = w.server.requests.map(\.provider)
        #expect(providers.count == 6)
        #expect(Set(providers).count == 1, "\(providers)")
        #expect(r.stderr.contains("answered the last turn"), "-v says so: \(r.stderr)")
        // ask -c continues the session on the same candidate.
        let more = try LLMRProcess.run(["ask", "--config", w.configPath, "--no-stdin", "-r", "either", "-c", "seven"],
                                       environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(more.exitCode == 0, "\(more.stderr)")
        #expect(w.server.requests.last?.provider == providers.first)
    }
}
