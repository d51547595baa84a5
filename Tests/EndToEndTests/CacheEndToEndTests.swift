import Testing
import Foundation
import FakeProvider
@testable import StateStore
import TestSupport

/// The response cache through the built binary: replay, read-only misses,
/// answers that are not whole, and concurrent writers.
@Suite(.serialized) struct CacheEndToEndTests {
    static let yaml = """
    providers:
      p: {api: openai, base_url: http://127.0.0.1:PORT/p/v1}
    models:
      m: {provider: p, id: m-1, input: 1, output: 2}
    routes:
      default: {retries: 0, targets: [m]}
    """

    func world(_ script: [String: [FakeBehaviour]] = [:], cache: String = "cache: {mode: read-write}\n") throws -> FakeWorld {
        try FakeWorld(script: FakeScript(script, unscripted: .echo()), yaml: Self.yaml + "\n" + cache)
    }

    @Test func threeIdenticalAsksSendOneRequestAndPrintIdenticalBytes() throws {
        let w = try world()
        let runs = try (0..<3).map { _ in try w.run(["the same question"]) }
        #expect(runs.allSatisfy { $0.exitCode == 0 })
        #expect(Set(runs.map(\.stdout)).count == 1, "\(runs.map(\.stdout))")
        #expect(w.server.requests.count == 1)
        let json = try w.run(["--json", "-v", "the same question"])
        #expect(json.json?["cached"] as? Bool == true)
        #expect(json.json?["cost_usd"] as? Double == 0)
        #expect((json.json?["attempts"] as? [Any])?.isEmpty == true)
        #expect(json.json?["provider"] as? String == "p")
        #expect(json.stderr.contains("cache hit (stored"), "\(json.stderr)")
        // The hits are recorded: providers stats shows a hit rate (3 hits of 4 answers), and they are no attempts.
        let stats = try LLMRProcess.run(["providers", "stats", "--config", w.configPath, "--json"], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        let group = (stats.json?["groups"] as? [[String: Any]])?.first
        #expect(group?["cache_hits"] as? Int == 3, "\(stats.stdout)")
        #expect(group?["cache_hit_rate"] as? Double == 0.75, "\(stats.stdout)")
        #expect(group?["requests"] as? Int == 1)
        // A different prompt never hits.
        #expect(try w.run(["another question"]).stdout == "another question\n")
        #expect(w.server.requests.count == 2)
        // --no-cache sends.
        #expect(try w.run(["--no-cache", "the same question"]).exitCode == 0)
        #expect(w.server.requests.count == 3)
    }

    @Test func aReadOnlyMissSendsNothingAndExits69() throws {
        let w = try world(cache: "")
        let r = try w.run(["--json", "never recorded"], environment: ["LLMR_CACHE": "read-only"])
        #expect(r.exitCode == 69, "\(r.stderr)")
        #expect((r.json?["error"] as? [String: Any])?["kind"] as? String == "cache_miss")
        #expect(r.stderr.contains("never recorded"), "says which prompt: \(r.stderr)")
        #expect(w.server.requests.isEmpty)
        #expect(try w.run(["--cache", "sometimes", "x"]).exitCode == 64)
        // write-only records, read-only replays.
        #expect(try w.run(["--cache", "write-only", "recorded"]).exitCode == 0)
        let replay = try w.run(["recorded"], environment: ["LLMR_CACHE": "read-only"])
        #expect(replay.exitCode == 0)
        #expect(replay.stdout == "recorded\n")
        #expect(w.server.requests.count == 1)
    }

    /// A damaged entry is a miss and a warning: the request is sent again, never answered wrongly.
    @Test func aDamagedEntryIsAMissAndAWarning() throws {
        let w = try world()
        #expect(try w.run(["kept"]).exitCode == 0)
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        try log.queue.write { db in try db.execute(sql: "UPDATE cache SET answer = CAST(X'FF00FE' AS TEXT)") }
        let r = try w.run(["kept"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout == "kept\n")
        #expect(r.stderr.contains("warning: the response cache cannot be read"), "\(r.stderr)")
        #expect(w.server.requests.count == 2)
        // A chat turn says so too.
        try log.queue.write { db in try db.execute(sql: "UPDATE cache SET answer = CAST(X'FF00FE' AS TEXT)") }
        let chat = try LLMRProcess.run(["chat", "--config", w.configPath], stdin: Array("kept\n".utf8), environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(chat.exitCode == 0, "\(chat.stderr)")
        #expect(chat.stderr.contains("warning: the response cache cannot be read"), "\(chat.stderr)")
        #expect(w.server.requests.count == 3)
    }

    @Test func anAnswerCutByTheTokenLimitIsAskedAgain() throws {
        var cut = FakeBehaviour.answer("a cut answer")
        cut.finish = "length"
        let w = try world(["p": [cut, .answer("whole")]])
        #expect(try w.run(["q"]).exitCode == 0)
        #expect(try w.run(["q"]).stdout == "whole\n")
        #expect(try w.run(["q"]).stdout == "whole\n")
        #expect(w.server.requests.count == 2)
    }

    @Test func twentyConcurrentProcessesAllAnswerAndLeaveOneEntry() throws {
        let w = try world()
        let n = 20
        let results = UnsafeMutableBufferPointer<LLMRRun?>.allocate(capacity: n)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: n) { i in out[i] = try? w.run(["a new prompt"]) }
        #expect(results.allSatisfy { $0?.exitCode == 0 && $0?.stdout == "a new prompt\n" })
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        #expect(try log.cacheStats(now: Date().timeIntervalSince1970, ttl: 3600).entries == 1)
    }

    @Test func cacheStatsListPruneAndClear() throws {
        let w = try world()
        #expect(try w.run(["one"]).exitCode == 0)
        #expect(try w.run(["two"]).exitCode == 0)
        func cache(_ args: [String]) throws -> LLMRRun {
            try LLMRProcess.run(["cache"] + args + ["--config", w.configPath], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        }
        let stats = try cache(["stats", "--json"])
        #expect(stats.json?["entries"] as? Int == 2, "\(stats.stdout) \(stats.stderr)")
        #expect(stats.json?["schema"] as? String == "llmr.cache/1")
        let list = try cache(["list"])
        #expect(list.stdout.contains("one") && list.stdout.contains("two"), "\(list.stdout)")
        #expect(try cache(["prune", "--older-than", "1h"]).json?["removed"] == nil)
        #expect(try cache(["prune", "--older-than", "1h", "--json"]).json?["removed"] as? Int == 0)
        #expect(try cache(["clear", "--json"]).json?["removed"] as? Int == 2)
        #expect(try cache(["stats", "--json"]).json?["entries"] as? Int == 0)
        #expect(try cache(["shred"]).exitCode == 64)
    }

    /// Recorded in one state directory, exported, imported into a fresh one: read-only replay sends nothing, same bytes.
    @Test func exportImportIntoAFreshStateReplaysTheSameBytes() throws {
        let w = try world()
        let first = try w.run(["recorded in CI"])
        #expect(try w.run(["--max-tokens", "50", "another one"]).exitCode == 0)
        let file = w.directory + "/answers.jsonl"
        let export = try LLMRProcess.run(["cache", "export", file, "--config", w.configPath], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(export.exitCode == 0, "\(export.stderr)")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines == lines.sorted(), "sorted, diff-friendly")
        // Exporting again gives the same bytes.
        let again = w.directory + "/again.jsonl"
        _ = try LLMRProcess.run(["cache", "export", again, "--config", w.configPath], environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(try String(contentsOfFile: again, encoding: .utf8) == String(contentsOfFile: file, encoding: .utf8))
        let fresh = w.directory + "/fresh-state"
        let imported = try LLMRProcess.run(["cache", "import", file, "--config", w.configPath, "--json"], environment: ["LLMR_STATE_DIR": fresh])
        #expect(imported.json?["imported"] as? Int == 2, "\(imported.stdout) \(imported.stderr)")
        let sent = w.server.requests.count
        let replay = try w.run(["recorded in CI"], environment: ["LLMR_STATE_DIR": fresh, "LLMR_CACHE": "read-only"])
        #expect(replay.exitCode == 0, "\(replay.stderr)")
        #expect(replay.stdout == first.stdout)
        #expect(w.server.requests.count == sent)
        // A broken file imports nothing and names its line.
        try "{\"request\": {}, \"answer\": \"x\"}\nnot json\n".write(toFile: w.directory + "/bad.jsonl", atomically: true, encoding: .utf8)
        let bad = try LLMRProcess.run(["cache", "import", w.directory + "/bad.jsonl", "--config", w.configPath], environment: ["LLMR_STATE_DIR": fresh])
        #expect(bad.exitCode == 65)
        #expect(bad.stderr.contains("bad.jsonl:1:"), "\(bad.stderr)")
    }

    /// Chat turns replay too: the same conversation again sends nothing and prints the same answers.
    @Test func aChatConversationReplays() throws {
        let w = try world()
        func chat() throws -> LLMRRun {
            try LLMRProcess.run(["chat", "--config", w.configPath], stdin: Array("first line\nsecond line\n".utf8),
                                environment: ["LLMR_STATE_DIR": w.stateDirectory])
        }
        let first = try chat()
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(w.server.requests.count == 2)
        let again = try chat()
        #expect(again.exitCode == 0, "\(again.stderr)")
        #expect(again.stdout == first.stdout)
        #expect(w.server.requests.count == 2)
        // The replayed turns were saved: ask -c continues the conversation.
        let more = try LLMRProcess.run(["ask", "--config", w.configPath, "--no-stdin", "-c", "third line"],
                                       environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect(more.exitCode == 0, "\(more.stderr)")
        let last = try #require(w.server.requests.last)
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(last.body)) as? [String: Any])
        #expect((sent["messages"] as? [Any])?.count == 5, "two turns before it: \(sent)")
    }
}
