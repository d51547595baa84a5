import Testing
import Foundation
import FakeProvider
import TestSupport

/// `llmr route`: the plan, explained, with nothing sent.
@Suite(.serialized) struct RouteEndToEndTests {
    let yaml = """
    providers:
      a: {api: openai, base_url: http://127.0.0.1:PORT/a/v1, key_env: A_KEY}
      b: {api: anthropic, base_url: http://127.0.0.1:PORT/b, key_env: B_KEY}
      c: {api: gemini, base_url: http://127.0.0.1:PORT/c, key_cmd: "echo never-run > /dev/null; exit 1"}
      tiny: {api: openai, base_url: http://127.0.0.1:PORT/tiny/v1}
    models:
      ma: {provider: a, id: a-1, input: 1, output: 2, context: 100000}
      mb: {provider: b, id: b-1, input: 3, output: 15, context: 100000}
      mc: {provider: c, id: c-1, input: 0.5, output: 1, context: 100000}
      mt: {provider: tiny, id: t-1, context: 5}
    routes:
      default:
        strategy: weighted
        targets: [{model: ma, weight: 0.5}, {model: mb, weight: 0.3}, {model: mc, weight: 0.2}]
        fallback: [mt]
      cheap: {strategy: cheapest, targets: [mb, ma, mc]}
    """

    @Test func explainsEveryCandidateAndSendsNothing() throws {
        let w = try FakeWorld(script: FakeScript([:]), yaml: yaml)
        let r = try LLMRProcess.run(["route", "--config", w.configPath, "--json", "--seed", "3", "a prompt of some words"],
                                    environment: ["A_KEY": "secret-a", "LLMR_STATE_DIR": w.stateDirectory])
        #expect(r.exitCode == 0)
        #expect(w.server.requests.isEmpty)
        #expect(!r.stdout.contains("secret-a"))
        let json = try #require(r.json)
        #expect(json["schema"] as? String == "llmr.route/1")
        let rows = try #require(json["candidates"] as? [[String: Any]])
        #expect(rows.count == 4)
        #expect(rows.last?["provider"] as? String == "tiny")
        #expect(rows.last?["tier"] as? String == "fallback")
        let byProvider = Dictionary(uniqueKeysWithValues: rows.map { ($0["provider"] as? String ?? "", $0) })
        #expect(byProvider["a"]?["key"] as? String == "present")
        #expect(byProvider["b"]?["key"] as? String == "missing")
        #expect(byProvider["b"]?["skip_reason"] as? String == "B_KEY is not set (provider b needs it)")
        #expect(byProvider["c"]?["key"] as? String == "key_cmd") // configured, not run
        #expect((byProvider["tiny"]?["skip_reason"] as? String)?.hasPrefix("context window 5 tokens is too small") == true)
        #expect(byProvider["a"]?["available"] as? Bool == true)
    }

    @Test func aSeedMakesAWeightedPlanReproducible() throws {
        let w = try FakeWorld(script: FakeScript([:]), yaml: yaml)
        let env = ["LLMR_STATE_DIR": w.stateDirectory]
        let orders = try (0..<2).map { _ in try LLMRProcess.run(["route", "--config", w.configPath, "--seed", "42", "hi"], environment: env).stdout }
        #expect(orders[0] == orders[1])
        var seen = Set<String>()
        for seed in 0..<20 {
            let out = try LLMRProcess.run(["route", "--config", w.configPath, "--seed", "\(seed)", "--json", "hi"], environment: env)
            let first = ((out.json?["candidates"] as? [[String: Any]])?.first?["provider"] as? String) ?? ""
            seen.insert(first)
        }
        #expect(seen.count > 1) // different seeds, different picks
    }

    @Test func cheapestOrdersByEstimatedCostAndShowsBudget() throws {
        let w = try FakeWorld(script: FakeScript([:]), yaml: yaml)
        let r = try LLMRProcess.run(["route", "--config", w.configPath, "-r", "cheap", "--max-tokens", "1000", "--max-cost", "0.003", "--json", "hi"],
                                    environment: ["A_KEY": "k", "B_KEY": "k", "LLMR_STATE_DIR": w.stateDirectory])
        let rows = try #require(r.json?["candidates"] as? [[String: Any]])
        #expect(rows.compactMap { $0["provider"] as? String } == ["c", "a", "b"])
        #expect((rows[2]["skip_reason"] as? String)?.contains("over the $0.003") == true) // b: worst case $0.015
        #expect(rows[1]["available"] as? Bool == true)
    }

    @Test func showsBreakersAndCooldownsFromEarlierRequests() throws {
        let w = try FakeWorld(script: FakeScript(["a": [.status(429, retryAfter: "300")]]), yaml: yaml)
        let env = ["A_KEY": "k", "LLMR_STATE_DIR": w.stateDirectory]
        _ = try w.run(["-m", "ma", "hi"], environment: env)
        let r = try LLMRProcess.run(["route", "--config", w.configPath, "-m", "ma", "hi"], environment: env)
        #expect(r.stdout.contains("cooling down"))
        #expect(r.stdout.contains("skipped: cooling down after Retry-After"))
        #expect(w.server.requests.count == 1)
    }

    /// On an 80- or 120-column terminal no line of the table is wider; into a pipe every row is whole, on one line.
    @Test(arguments: [80, 120])
    func theTableFitsTheTerminal(_ columns: Int) throws {
        let w = try FakeWorld(script: FakeScript(["a": [.status(429, retryAfter: "300")]]), yaml: yaml)
        let env = ["A_KEY": "k", "LLMR_STATE_DIR": w.stateDirectory]
        _ = try w.run(["-m", "ma", "hi"], environment: env)
        let pty = try PTYSession(["route", "--config", w.configPath, "a prompt"], environment: env, columns: columns)
        #expect(pty.exitStatus() == 0)
        let lines = pty.screen.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("#") }, "\(pty.screen)")
        for line in lines { #expect(TerminalTextWidth.of(line) <= columns, "\(columns): \(line)") }
        #expect(pty.screen.contains("\u{1B}[3"), "colour on a terminal")
        let piped = try LLMRProcess.run(["route", "--config", w.configPath, "a prompt"], environment: env)
        let rows = piped.stdout.split(separator: "\n").filter { $0.first?.isNumber == true }
        #expect(rows.count == 4, "\(piped.stdout)")
        #expect(rows.allSatisfy { $0.contains("$") || $0.contains("?") })
        #expect(!piped.stdout.contains("\u{1B}"), "no colour into a pipe")
    }

    @Test func usageAndHelp() throws {
        let help = try LLMRProcess.run(["route", "--help"])
        #expect(help.exitCode == 0)
        #expect(help.stdout.contains("usage: llmr route"))
        #expect(try LLMRProcess.run(["route", "--seed", "x"]).exitCode == 64)
        #expect(try LLMRProcess.run(["route", "--color", "sometimes"]).stderr.contains("--color takes auto, always or never"))
        #expect(try LLMRProcess.run(["rotue"]).stderr.contains("did you mean 'route'?"))
    }
}
