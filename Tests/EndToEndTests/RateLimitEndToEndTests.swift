import Testing
import Foundation
import FakeProvider
import TestSupport

/// `limits:` through the built binary: sliding windows counted by every
/// process, a candidate at its limit passed over or waited for, and a
/// provider's own rate-limit headers holding a model back.
@Suite(.serialized) struct RateLimitEndToEndTests {
    static let yaml = """
    providers:
      limited: {api: openai, base_url: http://127.0.0.1:PORT/limited/v1, limits: {requests: 3, per: 1m}}
      spare: {api: anthropic, base_url: http://127.0.0.1:PORT/spare}
    models:
      l: {provider: limited, id: l-1}
      s: {provider: spare, id: s-1}
      slow-window: {provider: spare, id: w-1, limits: {requests: 1, per: 2s}}
    routes:
      solo: {retries: 0, max_retry_wait: 0s, targets: [l]}
      default: {retries: 0, targets: [l], fallback: [s]}
      waits: {retries: 0, max_retry_wait: 10s, targets: [slow-window]}

    """

    func world(_ script: [String: [FakeBehaviour]] = [:]) throws -> FakeWorld {
        try FakeWorld(script: FakeScript(script, unscripted: .answer("fine")), yaml: Self.yaml)
    }

    /// 10 processes at once against 3 requests a minute, none allowed to wait: exactly 3 are sent.
    @Test func concurrentProcessesNeverPassTheLimit() throws {
        let w = try world()
        let n = 10
        let results = UnsafeMutableBufferPointer<LLMRRun?>.allocate(capacity: n)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: n) { i in out[i] = try? w.run(["-r", "solo", "--json", "request \(i)"]) }
        #expect(w.server.requests.count == 3)
        let refused = results.compactMap { $0 }.filter { $0.exitCode == 75 }
        #expect(refused.count == 7)
        #expect(refused.first?.stderr.contains("at its limit of 3 requests per 1m") == true, "\(refused.first?.stderr ?? "")")
    }

    /// A candidate at its limit is passed over for one that is ready.
    @Test func aCandidateAtItsLimitIsPassedOver() throws {
        let w = try world()
        for i in 0..<3 { #expect(try w.run(["-r", "solo", "fill \(i)"]).exitCode == 0) }
        let r = try w.run(["--json", "-v", "hi"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["model"] as? String == "s")
        #expect(w.server.requests.count == 4)
        let route = try LLMRProcess.run(["route", "--config", w.configPath, "hi"], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(route.stdout.contains("at its limit of 3 requests per 1m"), "\(route.stdout)")
        let providers = try LLMRProcess.run(["providers", "--config", w.configPath], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(providers.stdout.contains("3/3 req per 1m"), "\(providers.stdout)")
        let json = try LLMRProcess.run(["providers", "--config", w.configPath, "--json"], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        let limited = (json.json?["providers"] as? [[String: Any]])?.first { $0["name"] as? String == "limited" }
        #expect((limited?["limits"] as? [String: Any])?["used_requests"] as? Int == 3, "\(json.stdout)")
    }

    /// When nothing is ready and a slot frees within max_retry_wait, llmr waits for it and says so.
    @Test func aSlotThatFreesSoonIsWaitedFor() throws {
        let w = try world()
        #expect(try w.run(["-r", "waits", "first"]).exitCode == 0)
        // A model's own window shows beside its provider's in providers.
        let providers = try LLMRProcess.run(["providers", "--config", w.configPath, "--json"], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        let spare = (providers.json?["providers"] as? [[String: Any]])?.first { $0["name"] as? String == "spare" }
        let modelWindow = (spare?["model_limits"] as? [[String: Any]])?.first
        #expect(modelWindow?["model"] as? String == "slow-window", "\(providers.stdout)")
        #expect(modelWindow?["used_requests"] as? Int == 1)
        let r = try w.run(["-r", "waits", "second"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stderr.contains("for a slot of slow-window"), "the wait is said: \(r.stderr)")
        #expect(r.stderr.contains("at its limit of 1 requests per 2s"), "and why: \(r.stderr)")
        #expect(w.server.requests.count == 2)
        // The second send waited for the window (2 s), as the server saw them: a wide margin for a busy machine.
        let times = w.server.requests.map(\.receivedAt)
        #expect(times[1] - times[0] >= 1.0, "\(times)")
    }

    /// Remaining 0 in a provider's headers holds that model back until the reset, for the next process too.
    @Test(arguments: [
        ["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s"],
        ["anthropic-ratelimit-requests-remaining": "0", "anthropic-ratelimit-requests-reset": "2999-01-01T00:00:00Z"],
    ])
    func remainingZeroHoldsTheModelBack(_ headers: [String: String]) throws {
        var exhausted = FakeBehaviour.answer("the last one")
        exhausted.headers = headers
        let w = try world(["limited": [exhausted]])
        #expect(try w.run(["hi"]).exitCode == 0)
        let next = try w.run(["--json", "-v", "again"])
        #expect(next.exitCode == 0, "\(next.stderr)")
        #expect(next.json?["model"] as? String == "s", "\(next.stdout)")
        #expect(w.server.requests.filter { $0.provider == "limited" }.count == 1)
    }
}
