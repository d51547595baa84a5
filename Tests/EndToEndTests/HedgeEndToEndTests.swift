import Testing
import Foundation
import FakeProvider
@testable import StateStore
import TestSupport

/// Hedged requests through the built binary, against a slow and a quick provider.
@Suite(.serialized) struct HedgeEndToEndTests {
    let yaml = """
    providers:
      slow:  {api: openai, base_url: http://127.0.0.1:PORT/slow/v1}
      quick: {api: anthropic, base_url: http://127.0.0.1:PORT/quick}
    models:
      s: {provider: slow, id: s-model}
      q: {provider: quick, id: q-model}
    routes:
      default: {retries: 0, targets: [s, q], hedge: {after: 200ms, max_share: 50%}}
    """

    func world() throws -> FakeWorld {
        var slow = FakeBehaviour.answer("slow answer")
        slow.firstTokenDelayMs = 1500
        return try FakeWorld(script: FakeScript(["slow": [slow], "quick": [.answer("quick answer")]]), yaml: yaml)
    }

    @Test func theQuickerProviderWinsAndTheSlowTransferIsCancelled() throws {
        let w = try world()
        let r = try w.run(["-v", "--json", "hi"])
        #expect(r.exitCode == 0)
        #expect(r.json?["text"] as? String == "quick answer")
        #expect(r.outcomes == ["hedge_lost", "ok"])
        #expect(r.stderr.contains("no first token from slow/s-model after 200ms: hedging with quick/q-model"))
        var waited = 0
        while w.server.openConnections > 0, waited < 1000 { usleep(10_000); waited += 1 }
        #expect(w.server.openConnections == 0) // the loser's connection was closed, not left to finish
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        #expect(try log.hedgeShare(route: "default", since: 0) == 1)
    }

    @Test func theShareCapStopsHedging() throws {
        let w = try world()
        _ = try w.run(["hi"]) // hedged: the share is now 100%, over the 50% cap
        let second = try w.run(["--json", "hi"])
        #expect(second.outcomes == ["ok"])
        #expect(second.json?["text"] as? String == "slow answer")
    }
}
