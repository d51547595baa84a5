import Testing
import Foundation
import FakeProvider
@testable import StateStore
import TestSupport

/// `budgets:` through the built binary: reservations shared by concurrent
/// processes, skips to a cheaper candidate, exit 75 with nothing left,
/// unpriced models, tags, `llmr budget`, and a ledger that cannot be read.
@Suite(.serialized) struct BudgetEndToEndTests {
    /// `pricey` bills its worst case: 1000 output tokens at $10 a million = $0.01 a request.
    static let yaml = """
    providers:
      pricey: {api: openai, base_url: http://127.0.0.1:PORT/pricey/v1}
      cheap: {api: anthropic, base_url: http://127.0.0.1:PORT/cheap}
      free: {api: openai, base_url: http://127.0.0.1:PORT/free/v1}
    models:
      big: {provider: pricey, id: big-1, input: 0, output: 10}
      small: {provider: cheap, id: small-1, input: 0, output: 0.1}
      local: {provider: free, id: local-1}
    routes:
      default: {retries: 0, targets: [big], fallback: [small]}
      solo: {retries: 0, targets: [big]}
      unpriced: {retries: 0, targets: [local]}

    """

    func world(_ budgets: String, script: [String: [FakeBehaviour]] = [:]) throws -> FakeWorld {
        var bill = FakeBehaviour.answer("an answer")
        bill.billMaxTokens = true
        var s = ["pricey": [bill], "cheap": [bill]]
        s.merge(script) { $1 }
        return try FakeWorld(script: FakeScript(s, unscripted: .answer("free")), yaml: Self.yaml + budgets)
    }

    func ask(_ w: FakeWorld, _ args: [String], env: [String: String] = [:]) throws -> LLMRRun {
        try w.run(["--max-tokens", "1000", "--json"] + args, environment: env)
    }

    /// 20 processes at once under $0.05, each with a $0.01 worst case: at most 5 are sent, and no fewer than 4.
    @Test func twentyConcurrentProcessesNeverSpendPastTheBudget() throws {
        let w = try world("budgets:\n  daily: {usd: 0.05, per: 24h}\n")
        let n = 20
        let results = UnsafeMutableBufferPointer<LLMRRun?>.allocate(capacity: n)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: n) { i in out[i] = try? ask(w, ["-r", "solo", "request \(i)"]) }
        let sent = w.server.requests.filter { $0.provider == "pricey" }.count
        #expect(sent <= 5 && sent >= 4, "\(sent) sent")
        let refused = results.compactMap { $0 }.filter { $0.exitCode == 75 }
        #expect(refused.count == n - sent)
        #expect(refused.allSatisfy { ($0.json?["error"] as? [String: Any])?["kind"] as? String == "budget" })
        #expect(refused.first?.stderr.contains("over budget 'daily'") == true, "\(refused.first?.stderr ?? "")")
        let budget = try LLMRProcess.run(["budget", "--config", w.configPath, "--json"], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        let row = try #require((budget.json?["budgets"] as? [[String: Any]])?.first, "\(budget.stdout) \(budget.stderr)")
        #expect(abs((row["spent_usd"] as? Double ?? 0) - 0.01 * Double(sent)) < 1e-9, "\(row)")
        #expect(row["reserved_usd"] as? Double == 0)
        #expect(budget.json?["schema"] as? String == "llmr.budget/1")
    }

    /// A candidate the budget has no room for is skipped, naming the budget, and a cheaper one answers.
    @Test func anExpensiveCandidateIsSkippedForACheaperOne() throws {
        let w = try world("budgets:\n  hourly: {usd: 0.005, per: 1h}\n")
        let r = try ask(w, ["-v", "hi"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["model"] as? String == "small")
        #expect(r.stderr.contains("over budget 'hourly': $0.005 of $0.005 left in this 1h"), "\(r.stderr)")
        #expect(w.server.requests.allSatisfy { $0.provider == "cheap" })
        let route = try LLMRProcess.run(["route", "--config", w.configPath, "--max-tokens", "1000", "hi"],
                                        environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(route.stdout.contains("skipped: over budget 'hourly'"), "\(route.stdout)")
    }

    /// A budget counts a model with no price: it is never sent unaccounted.
    @Test func anUnpricedModelUnderABudgetIsNotSent() throws {
        let w = try world("budgets:\n  all: {usd: 5, per: 24h}\n")
        let r = try ask(w, ["-r", "unpriced", "hi"])
        #expect(r.exitCode == 75, "\(r.stderr)")
        #expect(r.stderr.contains("no price"), "\(r.stderr)")
        #expect(w.server.requests.isEmpty)
    }

    /// Budgets scoped by tag count only requests made with that tag (--tag, else LLMR_TAG).
    @Test func aTagScopedBudgetCountsOnlyItsTag() throws {
        let w = try world("budgets:\n  team-a: {usd: 0.01, per: 24h, tag: team-a}\n")
        #expect(try ask(w, ["-r", "solo", "--tag", "team-a", "one"]).exitCode == 0)
        let second = try ask(w, ["-r", "solo", "two"], env: ["LLMR_TAG": "team-a"])
        #expect(second.exitCode == 75, "\(second.stderr)")
        #expect(try ask(w, ["-r", "solo", "--tag", "team-b", "three"]).exitCode == 0)
        #expect(try ask(w, ["-r", "solo", "untagged"]).exitCode == 0)
        #expect(try ask(w, ["--tag", "no spaces", "x"]).exitCode == 64)
    }

    /// A ledger that cannot be read costs a clear message, and no budgeted candidate is sent.
    @Test func anUnreadableLedgerSendsNothingBudgeted() throws {
        let w = try world("budgets:\n  daily: {usd: 5, per: 24h, provider: pricey}\n")
        #expect(try ask(w, ["-r", "solo", "first"]).exitCode == 0)
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        try log.queue.write { db in try db.execute(sql: "DROP TABLE spend") }
        let r = try ask(w, ["hi"])
        // The budgeted candidate is held back; the fallback, which no budget counts, answers.
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["model"] as? String == "small")
        #expect(r.stderr.contains("warning: the budgets' ledger cannot be read"), "said without -v: \(r.stderr)")
        #expect(w.server.requests.filter { $0.provider == "pricey" }.count == 1)
        let alone = try ask(w, ["-r", "solo", "hi"])
        #expect(alone.exitCode == 75)
        #expect(alone.stderr.contains("ledger cannot be read"), "\(alone.stderr)")
        let budget = try LLMRProcess.run(["budget", "--config", w.configPath], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(budget.exitCode != 0)
        #expect(budget.stderr.contains("ledger"), "\(budget.stderr)")
    }

    @Test(arguments: [
        ("budgets:\n  b: {usd: -1, per: 24h}\n", "usd"),
        ("budgets:\n  b: {usd: 1e9, per: 24h}\n", "usd"),
        ("budgets:\n  b: {usd: 1, per: 0s}\n", "per"),
        ("budgets:\n  b: {usd: 1, per: 400d}\n", "per"),
        ("budgets:\n  b: {usd: 1, per: 1h, team: x}\n", "team"),
        ("budgets:\n  b: {usd: 1, per: 1h, model: big, tag: t}\n", "one scope"),
        ("budgets:\n  b: {usd: 1, per: 1h, model: bgi}\n", "did you mean 'big'"),
        ("budgets:\n  b: {per: 1h}\n", "needs 'usd'"),
    ])
    func badBudgetsAreConfigErrorsWithTheirPlace(_ yaml: String, _ says: String) throws {
        let w = try world(yaml)
        let r = try ask(w, ["hi"])
        #expect(r.exitCode == 78, "\(r.stderr)")
        #expect(r.stderr.contains(says), "\(r.stderr)")
        #expect(r.stderr.contains("config.yaml:"), "file:line:col \(r.stderr)")
        #expect(w.server.requests.isEmpty)
    }

    @Test func budgetWithoutBudgetsSaysHowToAddThem() throws {
        let w = try world("")
        let r = try LLMRProcess.run(["budget", "--config", w.configPath], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(r.exitCode == 0)
        #expect(r.stdout.contains("no budgets"))
        let json = try LLMRProcess.run(["budget", "--config", w.configPath, "--json"], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect((json.json?["budgets"] as? [Any])?.isEmpty == true)
    }
}
