import Testing
import Foundation
import FakeProvider
import TestSupport

/// `llmr models update` against a local server: LiteLLM's and OpenRouter's
/// formats, prices that then override the embedded catalog, and bad sources.
@Suite(.serialized) struct ModelsUpdateEndToEndTests {
    static let litellm = """
    {"sample_spec": {"mode": "chat"},
     "gpt-5": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 2e-06, "output_cost_per_token": 2e-05,
               "cache_read_input_token_cost": 2e-07, "max_input_tokens": 300000, "max_output_tokens": 100000},
     "gpt-image-1": {"litellm_provider": "openai", "mode": "image_generation", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
     "groq/llama-9": {"litellm_provider": "groq", "mode": "chat", "input_cost_per_token": 1e-07, "output_cost_per_token": 2e-07, "max_tokens": 8192}}
    """
    static let openrouter = """
    {"data": [{"id": "acme/rocket-1", "context_length": 65536, "pricing": {"prompt": "0.000001", "completion": "0.000004"},
               "top_provider": {"max_completion_tokens": 4096}},
              {"id": "acme/free", "pricing": {"prompt": "0", "completion": "0"}}]}
    """

    func world() throws -> FakeWorld {
        var litellm = FakeBehaviour.answer("")
        litellm.body = Self.litellm
        var openrouter = FakeBehaviour.answer("")
        openrouter.body = Self.openrouter
        var html = FakeBehaviour.answer("")
        html.body = "<html>not json</html>"
        html.contentType = "text/html"
        let yaml = """
        providers:
          openai: {api: openai, base_url: http://127.0.0.1:PORT/oa/v1}
        routes:
          default: {targets: [gpt-5]}
        """
        return try FakeWorld(script: FakeScript(["litellm": [litellm], "openrouter": [openrouter], "html": [html],
                                                 "missing": [.status(404)]]), yaml: yaml)
    }

    func models(_ w: FakeWorld, _ args: [String]) throws -> LLMRRun {
        try LLMRProcess.run(["models", "--config", w.configPath] + args, environment: ["LLMR_STATE_DIR": w.stateDirectory])
    }

    @Test func litellmPricesOverrideTheEmbeddedOnes() throws {
        let w = try world()
        let before = try #require((try models(w, ["gpt-5", "--json"]).json?["models"] as? [[String: Any]])?.first { $0["name"] as? String == "gpt-5" })
        #expect(before["input_per_million_usd"] as? Double == 1.25)
        let r = try models(w, ["update", "--from", "http://127.0.0.1:\(w.server.port)/litellm/prices.json"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("2 models with prices"), "\(r.stdout)")
        let after = try models(w, ["--json"])
        let rows = try #require(after.json?["models"] as? [[String: Any]])
        let gpt5 = try #require(rows.first { $0["name"] as? String == "gpt-5" })
        #expect(gpt5["input_per_million_usd"] as? Double == 2)
        #expect(gpt5["context"] as? Int == 300000)
        #expect(rows.contains { $0["name"] as? String == "groq/llama-9" })
        #expect(!rows.contains { $0["name"] as? String == "gpt-image-1" })
        // Models the update does not name keep their embedded prices.
        #expect(rows.contains { $0["name"] as? String == "claude-sonnet-4-5" })
        #expect((after.json?["catalog_source"] as? String)?.contains("prices.json") == true)
        // And a request is priced by them.
        let route = try LLMRProcess.run(["route", "--config", w.configPath, "--json", "--max-tokens", "1000", "hi"],
                                        environment: ["LLMR_STATE_DIR": w.stateDirectory])
        let est = (route.json?["candidates"] as? [[String: Any]])?.first?["worst_case_usd"] as? Double ?? 0
        #expect(abs(est - (2.0 * 5 + 20.0 * 1000) / 1_000_000) < 1e-9, "\(route.stdout)")
    }

    @Test func openRouterModelsAreAddedUnderItsName() throws {
        let w = try world()
        let r = try models(w, ["update", "--from", "http://127.0.0.1:\(w.server.port)/openrouter/api/v1/models", "--json"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["models"] as? Int == 2)
        let row = try #require((try models(w, ["rocket", "--json"]).json?["models"] as? [[String: Any]])?.first)
        #expect(row["name"] as? String == "openrouter/acme/rocket-1")
        #expect(row["output_per_million_usd"] as? Double == 4)
        #expect(row["max_output"] as? Int == 4096)
    }

    @Test func aBadSourceChangesNothingAndSaysWhy() throws {
        let w = try world()
        let html = try models(w, ["update", "--from", "http://127.0.0.1:\(w.server.port)/html/x"])
        #expect(html.exitCode == 65, "\(html.stderr)")
        #expect(html.stderr.contains("not JSON"))
        let missing = try models(w, ["update", "--from", "http://127.0.0.1:\(w.server.port)/missing/x"])
        #expect(missing.exitCode == 69, "\(missing.stderr)")
        #expect(missing.stderr.contains("HTTP 404"))
        let file = try models(w, ["update", "--from", w.directory + "/no-such-file.json"])
        #expect(file.exitCode == 65)
        #expect(!FileManager.default.fileExists(atPath: w.stateDirectory + "/catalog.txt"))
        #expect(try models(w, ["gpt-5", "--from", "x"]).exitCode == 64)
    }
}
