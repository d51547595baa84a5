import Testing
import Foundation
import FakeProvider
import TestSupport

/// The embedded catalog is the base a user's config adds to: a route may name
/// any catalog model, `-m provider/id` is priced from it, and `llmr models` lists it.
@Suite(.serialized) struct CatalogEndToEndTests {
    /// A config that defines only a provider `openai` and routes to gpt-5 is no longer refused.
    @Test func aRouteToACatalogModelNeedsOnlyItsProvider() throws {
        let yaml = """
        providers:
          openai: {api: openai, base_url: http://127.0.0.1:PORT/oa/v1}
        routes:
          default: {retries: 0, targets: [gpt-5]}
        """
        let w = try FakeWorld(script: FakeScript([:], unscripted: .answer("from the catalog's model")), yaml: yaml)
        let r = try w.run(["--json", "--max-tokens", "100", "hi"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["model"] as? String == "gpt-5")
        #expect((r.json?["cost_usd"] as? Double ?? 0) > 0, "priced from the catalog: \(r.stdout)")
        #expect(w.server.requests.first?.path == "/oa/v1/chat/completions")
        // -m provider/id is priced from the catalog too.
        let inline = try w.run(["--json", "-m", "openai/gpt-5-mini", "hi"])
        #expect((inline.json?["cost_usd"] as? Double ?? 0) > 0, "\(inline.stdout)")
    }

    /// A catalog model whose provider the file does not define brings the embedded provider (its key variable too).
    @Test func aCatalogModelBringsItsEmbeddedProvider() throws {
        let yaml = """
        providers:
          local: {api: openai, base_url: http://127.0.0.1:PORT/local/v1}
        routes:
          default: {retries: 0, targets: [claude-sonnet-4-5], fallback: [local/any]}
        """
        let w = try FakeWorld(script: FakeScript([:], unscripted: .answer("local")), yaml: yaml)
        let route = try LLMRProcess.run(["route", "--config", w.configPath, "--json", "hi"], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        let first = try #require((route.json?["candidates"] as? [[String: Any]])?.first, "\(route.stdout) \(route.stderr)")
        #expect(first["provider"] as? String == "anthropic")
        #expect((first["skip_reason"] as? String)?.contains("ANTHROPIC_API_KEY") == true, "\(first)")
        // Nothing reaches the real Anthropic: without its key it is skipped, and the local fallback answers.
        let r = try w.run(["hi"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(w.server.requests.count == 1)
    }

    @Test func modelsListsTheCatalogAndTheConfigsOwn() throws {
        let yaml = """
        providers:
          openai: {api: openai, base_url: http://127.0.0.1:PORT/oa/v1}
        models:
          gpt-5: {provider: openai, id: gpt-5, input: 9, output: 99, context: 1000}
          mine: {provider: openai, id: my-model}
        """
        let w = try FakeWorld(script: FakeScript([:]), yaml: yaml)
        func models(_ args: [String]) throws -> LLMRRun { try LLMRProcess.run(["models", "--config", w.configPath] + args) }
        let all = try models(["--json"])
        #expect(all.json?["schema"] as? String == "llmr.models/1")
        let rows = try #require(all.json?["models"] as? [[String: Any]])
        #expect(rows.count > 300, "hundreds of catalog models: \(rows.count)")
        let gpt5 = rows.filter { $0["name"] as? String == "gpt-5" }
        #expect(gpt5.count == 1)
        #expect(gpt5.first?["source"] as? String == "config")
        #expect(gpt5.first?["input_per_million_usd"] as? Double == 9)
        #expect(rows.contains { $0["name"] as? String == "claude-sonnet-4-5" && $0["source"] as? String == "catalog" })
        let glob = try models(["claude-*-4-5", "--json"])
        let names = (glob.json?["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(!names.isEmpty && names.allSatisfy { $0.hasPrefix("claude-") && $0.hasSuffix("4-5") }, "\(names)")
        let table = try models(["mine"])
        #expect(table.stdout.contains("my-model") && table.stdout.contains("config"), "\(table.stdout)")
        #expect(try models(["a", "b"]).exitCode == 64)
        #expect(try models(["no-such-model-anywhere"]).stdout.contains("no model matches"))
    }
}
