import Testing
import Foundation
import FakeProvider
import TestSupport

/// `--schema` through the built binary: only JSON that validates reaches
/// stdout; an answer that does not is asked again, then of the next
/// candidate; every wire format gets its own native form.
@Suite(.serialized) struct SchemaEndToEndTests {
    static let schema = #"{"type":"object","properties":{"city":{"type":"string"},"temp":{"type":"number"}},"required":["city","temp"],"additionalProperties":false}"#
    static let valid = #"{"city":"Oslo","temp":-3.5}"#

    static func yaml(_ api: String = "openai", options: String = "") -> String {
        let suffix = api == "openai" ? "/v1" : ""
        return """
        providers:
          a: {api: \(api), base_url: http://127.0.0.1:PORT/a\(suffix), key_env: FAKE_KEY\(options)}
          b: {api: \(api), base_url: http://127.0.0.1:PORT/b\(suffix), key_env: FAKE_KEY\(options)}
        models:
          ma: {provider: a, id: ma-1, input: 1, output: 2}
          mb: {provider: b, id: mb-1, input: 1, output: 2}
        routes:
          default: {retries: 1, targets: [ma], fallback: [mb]}
        """
    }

    static let env = ["FAKE_KEY": "k"]

    func world(_ script: [String: [FakeBehaviour]], api: String = "openai", options: String = "") throws -> FakeWorld {
        try FakeWorld(script: FakeScript(script), yaml: Self.yaml(api, options: options))
    }

    @Test func invalidThenValidFailsOverAndPrintsOnlyTheValidJSON() throws {
        // a: prose, then JSON missing a member (its one retry); b: a fenced valid answer.
        let w = try world(["a": [.answer("Sure! Here is the weather."), .answer(#"{"city":"Oslo"}"#)],
                           "b": [.answer("```json\n" + Self.valid + "\n```")]])
        let r = try w.run(["--schema", Self.schema, "-v", "weather?"], environment: Self.env)
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout == Self.valid + "\n")
        #expect(w.server.requests.count == 3)
        #expect(r.stderr.contains("invalid_output"), "\(r.stderr)")
        #expect(r.stderr.contains("'temp' is missing"), "the validation error is said: \(r.stderr)")
        // --json carries the parsed value; attempts say why each failed.
        let w2 = try world(["a": [.answer("no"), .answer("no")], "b": [.answer(Self.valid)]])
        let j = try w2.run(["--schema", Self.schema, "--json", "weather?"], environment: Self.env)
        #expect(j.exitCode == 0, "\(j.stderr)")
        let output = j.json?["output"] as? [String: Any]
        #expect(output?["city"] as? String == "Oslo")
        #expect(output?["temp"] as? Double == -3.5)
        let outcomes = (j.json?["attempts"] as? [[String: Any]])?.compactMap { $0["outcome"] as? String }
        #expect(outcomes == ["invalid_output", "invalid_output", "ok"])
    }

    @Test func allInvalidExits69WithNothingOnStdout() throws {
        let w = try world(["a": [.answer("[1, 2"), .answer("[1, 2")], "b": [.answer(#"{"city":3,"temp":1}"#)]])
        let r = try w.run(["--schema", Self.schema, "weather?"], environment: Self.env)
        #expect(r.exitCode == 69, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        // The last invalid text and the first validation error, with its pointer and keyword.
        #expect(r.stderr.contains(#"{"city":3,"temp":1}"#), "\(r.stderr)")
        #expect(r.stderr.contains("/city"), "\(r.stderr)")
        #expect(r.stderr.contains("keyword 'type'"), "\(r.stderr)")
        let j = try w.run(["--schema", Self.schema, "--json", "weather?"], environment: Self.env)
        #expect(j.exitCode == 69)
        #expect((j.json?["error"] as? [String: Any])?["kind"] as? String == "invalid_output")
        #expect(j.json?["text"] == nil)
        // Invalid answers never open a breaker: the next request still goes to a.
        let w2 = try world(["a": [.answer("x"), .answer("x"), .answer("x"), .answer("x"), .answer("x"), .answer("x"), .answer(Self.valid)],
                            "b": [.answer("x"), .answer("x"), .answer("x")]])
        for _ in 0..<3 { _ = try w2.run(["--schema", Self.schema, "q"], environment: Self.env) }
        let last = try w2.run(["--schema", Self.schema, "q"], environment: Self.env)
        #expect(last.stdout == Self.valid + "\n", "\(last.stderr)")
    }

    @Test func aSchemaThatCannotBeUsedIsRefusedBeforeAnythingIsSent() throws {
        let w = try world(["a": [.answer(Self.valid)]])
        let unsupported = try w.run(["--schema", #"{"type":"object","unevaluatedProperties":false}"#, "q"], environment: Self.env)
        #expect(unsupported.exitCode == 65, "\(unsupported.stderr)")
        #expect(unsupported.stderr.contains("unevaluatedProperties"))
        let remote = try w.run(["--schema", #"{"$ref":"https://example.com/s.json"}"#, "q"], environment: Self.env)
        #expect(remote.exitCode == 65)
        #expect(remote.stderr.contains("remote reference"), "\(remote.stderr)")
        let missing = try w.run(["--schema", w.directory + "/nope.json", "q"], environment: Self.env)
        #expect(missing.exitCode == 65)
        #expect(missing.stderr.contains("cannot read the schema file"), "\(missing.stderr)")
        let file = w.directory + "/schema.json"
        try Self.schema.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(w.server.requests.isEmpty)
        let fromFile = try w.run(["--schema", file, "q"], environment: Self.env)
        #expect(fromFile.exitCode == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout == Self.valid + "\n")
    }

    @Test(arguments: ["openai", "anthropic", "gemini"]) func eachWireGetsItsNativeForm(api: String) throws {
        let w = try world(["a": [.answer(Self.valid)]], api: api)
        let r = try w.run(["--schema", Self.schema, "q"], environment: Self.env)
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout == Self.valid + "\n")
        let body = try #require(w.server.requests.last?.bodyText)
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        switch api {
        case "openai":
            let format = sent["response_format"] as? [String: Any]
            #expect(format?["type"] as? String == "json_schema")
            let js = format?["json_schema"] as? [String: Any]
            #expect(js?["strict"] as? Bool == true, "a closed object with every property required meets the strict rules")
            #expect((js?["schema"] as? [String: Any])?["required"] as? [String] == ["city", "temp"])
            #expect(js?["name"] as? String == "output")
        case "anthropic":
            let format = (sent["output_config"] as? [String: Any])?["format"] as? [String: Any]
            #expect(format?["type"] as? String == "json_schema")
            #expect((format?["schema"] as? [String: Any])?["type"] as? String == "object")
        default:
            let generation = sent["generationConfig"] as? [String: Any]
            #expect(generation?["responseMimeType"] as? String == "application/json")
            #expect((generation?["responseJsonSchema"] as? [String: Any])?["additionalProperties"] as? Bool == false)
        }
    }

    @Test func aSchemaOutsideTheStrictRulesIsSentNonStrict() throws {
        let w = try world(["a": [.answer("[1,2]")]])
        let r = try w.run(["--schema", #"{"type":"array","items":{"type":"integer"},"uniqueItems":true}"#, "q"], environment: Self.env)
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(w.server.requests.last?.bodyText.contains(#""strict":false"#) == true)
    }

    @Test func anthropicWithAForcedToolAndAProviderWithoutSupport() throws {
        // structured_output: tool — the answer arrives as the tool's input.
        let tool = try world(["a": [.answer(Self.valid)]], api: "anthropic", options: ", structured_output: tool")
        let r = try tool.run(["--schema", Self.schema, "--json", "q"], environment: Self.env)
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["text"] as? String == Self.valid)
        #expect(r.json?["finish_reason"] as? String == "stop")
        let body = try #require(tool.server.requests.last?.bodyText)
        #expect(body.contains(#""tool_choice":{"type":"tool","name":"output"}"#), "\(body)")
        #expect(body.contains(#""input_schema":"#))
        #expect(!body.contains("output_config"))
        // structured_output: prompt — the schema goes into the system prompt, no native form.
        let prompt = try world(["a": [.answer(Self.valid)]], options: ", structured_output: prompt")
        let p = try prompt.run(["--schema", Self.schema, "-s", "Be brief.", "q"], environment: Self.env)
        #expect(p.exitCode == 0, "\(p.stderr)")
        let sent = try #require(prompt.server.requests.last?.bodyText)
        #expect(!sent.contains("response_format"))
        #expect(sent.contains("JSON Schema: {"), "\(sent)")
        #expect(sent.contains("Be brief."))
        // tool is for Anthropic only.
        let bad = try world(["a": [.answer(Self.valid)]], options: ", structured_output: tool")
        #expect(try bad.run(["--schema", Self.schema, "q"], environment: Self.env).exitCode == 78)
    }

    @Test func aCachedAnswerIsKeyedByTheSchemaAndReplaysItsOutput() throws {
        let w = try FakeWorld(script: FakeScript(["a": [.answer(Self.valid), .answer("[1]")]]),
                              yaml: Self.yaml() + "\ncache: {mode: read-write}\n")
        #expect(try w.run(["--schema", Self.schema, "q"], environment: Self.env).exitCode == 0)
        // The same schema with its keys in another order and other white space: a hit.
        let reordered = #"{ "additionalProperties": false, "required": ["city","temp"], "properties": {"temp":{"type":"number"},"city":{"type":"string"}}, "type": "object" }"#
        let hit = try w.run(["--schema", reordered, "--json", "q"], environment: Self.env)
        #expect(hit.json?["cached"] as? Bool == true, "\(hit.stdout)")
        #expect((hit.json?["output"] as? [String: Any])?["city"] as? String == "Oslo")
        #expect(w.server.requests.count == 1)
        // Another schema is another key.
        #expect(try w.run(["--schema", #"{"type":"array"}"#, "q"], environment: Self.env).stdout == "[1]\n")
        #expect(w.server.requests.count == 2)
    }

    @Test func chatTurnsAndAskContinueAreValidatedToo() throws {
        let w = try world(["a": [.answer("prose"), .answer(Self.valid), .answer(#"{"city":"Rome","temp":20}"#)]])
        let chat = try LLMRProcess.run(["chat", "--config", w.configPath, "--schema", Self.schema], stdin: Array("first\n".utf8),
                                       environment: Self.env.merging(["LLMR_STATE_DIR": w.stateDirectory]) { $1 })
        #expect(chat.exitCode == 0, "\(chat.stderr)")
        #expect(chat.stdout.contains(Self.valid), "\(chat.stdout)")
        #expect(!chat.stdout.contains("prose"))
        let next = try w.run(["-c", "--schema", Self.schema, "and Rome?"], environment: Self.env)
        #expect(next.exitCode == 0, "\(next.stderr)")
        #expect(next.stdout == #"{"city":"Rome","temp":20}"# + "\n")
        // A turn with no valid answer says so, with the last invalid text, and exits 69 through ask -c.
        let w2 = try world(["a": [.answer("nope"), .answer("nope")], "b": [.answer("still nope")]])
        let bad = try w2.run(["--session", "s", "--schema", Self.schema, "q"], environment: Self.env)
        #expect(bad.exitCode == 69, "\(bad.stderr)")
        #expect(bad.stdout.isEmpty)
        #expect(bad.stderr.contains("still nope"), "\(bad.stderr)")
    }
}
