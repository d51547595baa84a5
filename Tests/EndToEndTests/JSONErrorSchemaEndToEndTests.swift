import Testing
import Foundation
import FakeProvider
import TestSupport

/// Every command's `--json` error object names that command's schema, so a
/// script that reads it knows which command refused.
@Suite struct JSONErrorSchemaEndToEndTests {
    @Test(arguments: [("ask", "llmr.ask/1"), ("route", "llmr.route/1"), ("chat", "llmr.chat/1"),
                      ("providers", "llmr.providers/1"), ("bench", "llmr.bench/1")])
    func aUsageErrorCarriesTheCommandsOwnSchema(_ command: String, _ schema: String) throws {
        let r = try LLMRProcess.run([command, "--json", "--bogus"], environment: ["LLMR_STATE_DIR": NSTemporaryDirectory() + "llmr-schema"])
        #expect(r.exitCode == 64)
        let json = try #require(r.json, "\(r.stdout)")
        #expect(json["schema"] as? String == schema)
        let error = try #require(json["error"] as? [String: Any])
        #expect(error["kind"] as? String == "usage")
        #expect((error["message"] as? String)?.contains("--bogus") == true)
    }

    @Test func aConfigErrorOfRouteIsARouteObject() throws {
        let dir = NSTemporaryDirectory() + "llmr-schema-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = dir + "/bad.yaml"
        try "providers: [oops\n".write(toFile: config, atomically: true, encoding: .utf8)
        let r = try LLMRProcess.run(["route", "--json", "--config", config, "hi"], environment: ["LLMR_STATE_DIR": dir])
        #expect(r.exitCode == 78)
        #expect(r.json?["schema"] as? String == "llmr.route/1")
        #expect((r.json?["error"] as? [String: Any])?["kind"] as? String == "config")
    }
}
