import Testing
@testable import RouterCore

@Suite struct PlannerTests {
    let config: Config = {
        let yaml = """
        providers:
          a: {api: openai, base_url: http://a/v1}
          b: {api: openai, base_url: http://b/v1}
          c: {api: openai, base_url: http://c/v1}
        models:
          cheap:  {provider: a, input: 0.1, output: 0.2, context: 1000}
          mid:    {provider: b, input: 1, output: 2, context: 100000}
          dear:   {provider: c, input: 10, output: 20, context: 100000}
          nopr:   {provider: c}
        routes:
          default:
            strategy: weighted
            targets: [{model: cheap, weight: 0.6}, {model: mid, weight: 0.3}, {model: dear, weight: 0.1}]
            fallback: [nopr]
          price:
            strategy: cheapest
            targets: [nopr, dear, mid, cheap]
          chain: {strategy: fallback, targets: [dear, cheap]}
        tasks: {code: chain}
        """
        do { return try ConfigLoader.load(yaml: yaml, source: "t") } catch { fatalError("\(error)") }
    }()

    let request = ChatRequest(messages: [Message(role: .user, content: "hello")])

    @Test func weightedPicksConvergeToTheWeights() throws {
        var rng = SeededRandom(seed: 99)
        var firsts: [String: Int] = [:]
        let n = 20_000
        for _ in 0..<n {
            let plan = try Planner(config: config).plan(request, selection: .automatic, using: &rng)
            firsts[plan.candidates[0].model.name, default: 0] += 1
            #expect(plan.candidates.last?.model.name == "nopr") // the fallback tier stays last
        }
        #expect(abs(Double(firsts["cheap", default: 0]) / Double(n) - 0.6) < 0.02)
        #expect(abs(Double(firsts["mid", default: 0]) / Double(n) - 0.3) < 0.02)
        #expect(abs(Double(firsts["dear", default: 0]) / Double(n) - 0.1) < 0.02)
    }

    @Test func sameSeedSamePlan() throws {
        var a = SeededRandom(seed: 5), b = SeededRandom(seed: 5)
        let p1 = try Planner(config: config).plan(request, selection: .automatic, using: &a)
        let p2 = try Planner(config: config).plan(request, selection: .automatic, using: &b)
        #expect(p1 == p2)
    }

    @Test func cheapestOrdersByEstimatedCostUnknownLast() throws {
        var rng = SeededRandom(seed: 1)
        let plan = try Planner(config: config).plan(request, selection: .route("price"), using: &rng)
        #expect(plan.candidates.map(\.model.name) == ["cheap", "mid", "dear", "nopr"])
        let costs = plan.candidates.compactMap(\.estimatedCost)
        #expect(costs == costs.sorted())
    }

    @Test func fallbackKeepsOrderAndTasksPickRoutes() throws {
        var rng = SeededRandom(seed: 1)
        let plan = try Planner(config: config).plan(request, selection: .task("code"), using: &rng)
        #expect(plan.route == "chain")
        #expect(plan.candidates.map(\.model.name) == ["dear", "cheap"])
    }

    @Test func modelBypassesRouting() throws {
        var rng = SeededRandom(seed: 1)
        let plan = try Planner(config: config).plan(request, selection: .model("b/some-id"), using: &rng)
        #expect(plan.route == nil)
        #expect(plan.candidates.map(\.label) == ["b/some-id"])
    }

    @Test func unknownNamesAreUsageErrorsWithSuggestions() {
        var rng = SeededRandom(seed: 1)
        let planner = Planner(config: config)
        #expect(throws: PlanError.self) { try planner.plan(request, selection: .model("chep"), using: &rng) }
        do {
            _ = try planner.plan(request, selection: .model("chep"), using: &rng)
        } catch {
            #expect(error.kind == .usage)
            #expect(error.message.contains("did you mean 'cheap'?"))
        }
        do {
            _ = try planner.plan(request, selection: .route("chian"), using: &rng)
        } catch {
            #expect(error.message.contains("did you mean 'chain'?"))
        }
        do {
            _ = try planner.plan(request, selection: .model("zz/x"), using: &rng)
        } catch {
            #expect(error.message.contains("no provider is named 'zz'"))
        }
    }

    @Test func noDefaultRouteIsAConfigError() throws {
        let c = try ConfigLoader.load(yaml: "providers:\n  p: {api: openai, base_url: http://x/v1}\n", source: "t")
        var rng = SeededRandom(seed: 1)
        do {
            _ = try Planner(config: c).plan(request, selection: .automatic, using: &rng)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .config)
        }
    }
}
