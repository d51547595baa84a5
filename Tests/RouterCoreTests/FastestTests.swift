import Testing
@testable import RouterCore

@Suite struct FastestTests {
    func config(explore: String = "0%") throws -> Config {
        try ConfigLoader.load(yaml: """
            providers:
              a: {api: openai, base_url: http://a/v1}
              b: {api: openai, base_url: http://b/v1}
              c: {api: openai, base_url: http://c/v1}
            models:
              ma: {provider: a, id: a-1}
              mb: {provider: b, id: b-1}
              mc: {provider: c, id: c-1}
            routes:
              quick: {strategy: fastest, explore: \(explore), targets: [ma, mb, mc]}
            """, source: "c.yaml")
    }

    func order(_ speeds: [String: Double], explore: String = "0%", seed: UInt64 = 1) throws -> [String] {
        var rng = SeededRandom(seed: seed)
        let plan = try Planner(config: try config(explore: explore), speeds: speeds)
            .plan(ChatRequest(messages: [Message(role: .user, content: "hi")]), selection: .route("quick"), using: &rng)
        return plan.candidates.map(\.model.name)
    }

    @Test func theQuickestMedianGoesFirstAndCandidatesWithoutDataBeforeThem() throws {
        #expect(try order(["a/a-1": 900, "b/b-1": 120, "c/c-1": 400]) == ["mb", "mc", "ma"])
        // A candidate never measured is tried first, so it gets a figure.
        #expect(try order(["a/a-1": 900, "b/b-1": 120]) == ["mc", "mb", "ma"])
        #expect(try order([:]) == ["ma", "mb", "mc"])
    }

    @Test func explorationSendsASmallShareElsewhereReproducibly() throws {
        let speeds = ["a/a-1": 900.0, "b/b-1": 120, "c/c-1": 400]
        var firsts: [String: Int] = [:]
        for seed in 0..<1000 { firsts[try order(speeds, explore: "10%", seed: UInt64(seed)).first ?? "", default: 0] += 1 }
        // About 10% explore (half of them to each other candidate); a wide margin.
        #expect((820...960).contains(firsts["mb"] ?? 0), "\(firsts)")
        #expect((firsts["ma"] ?? 0) > 10 && (firsts["mc"] ?? 0) > 10, "\(firsts)")
        #expect(try order(speeds, explore: "10%", seed: 42) == order(speeds, explore: "10%", seed: 42))
    }

    @Test func theReasonSaysTheFigure() throws {
        var rng = SeededRandom(seed: 1)
        let plan = try Planner(config: try config(), speeds: ["a/a-1": 900, "b/b-1": 120, "c/c-1": 400])
            .plan(ChatRequest(messages: [Message(role: .user, content: "hi")]), selection: .route("quick"), using: &rng)
        #expect(plan.candidates.first?.reason == "fastest first (median first token 120 ms)")
    }

    @Test func exploreIsAPercentage() {
        #expect(throws: ConfigError.self) { _ = try config(explore: "120%") }
        #expect(throws: ConfigError.self) { _ = try config(explore: "lots") }
    }
}
