import Testing
import Foundation
import FakeProvider
import RouterCore
@testable import StateStore
import TestSupport

/// What `chat` and `bench` read from people's files and programs: CRLF text,
/// FIFOs, a coprocess that waits for each answer, an unusable state database.
@Suite(.serialized) struct ChatInputEndToEndTests {
    static let yaml = """
    providers:
      oa: {api: openai, base_url: http://127.0.0.1:PORT/oa/v1}
    models:
      o: {provider: oa, id: o-model, input: 1, output: 2, context: 100000}
    routes:
      default: {retries: 0, targets: [o]}
    """

    func world() throws -> FakeWorld {
        try FakeWorld(script: FakeScript([:], unscripted: .echo()), yaml: Self.yaml)
    }

    func env(_ w: FakeWorld) -> [String: String] {
        ["LLMR_STATE_DIR": w.stateDirectory, "XDG_STATE_HOME": w.directory + "/xdg"]
    }

    @Test func aCRLFFileIsOneTurnALine() throws {
        let w = try world()
        let r = try LLMRProcess.run(["chat", "--config", w.configPath], stdin: Array("first\r\nsecond\r\n".utf8), environment: env(w))
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout == "first\n\nsecond\n\n")
        #expect(w.server.requests.count == 2)
    }

    @Test func benchPromptsInCRLFAreReadAndBlankLinesKeepLineNumbers() throws {
        let w = try world()
        let good = w.directory + "/prompts.jsonl"
        try "\"one\"\r\n{\"prompt\": \"two\"}\r\n".write(toFile: good, atomically: true, encoding: .utf8)
        let r = try LLMRProcess.run(["bench", "--config", w.configPath, "o", "-n", "2", "-q", "--prompts", good, "--json"], environment: env(w))
        #expect(r.exitCode == 0, "\(r.stderr)")
        let bad = w.directory + "/bad.jsonl"
        try "\"one\"\n\n\nnot json\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try LLMRProcess.run(["bench", "--config", w.configPath, "o", "-n", "2", "-q", "--prompts", bad], environment: env(w))
        #expect(refused.exitCode == 65)
        #expect(refused.stderr.contains("bad.jsonl:4: not JSON"), "\(refused.stderr)")
    }

    @Test func aFIFOIsRefusedNotWaitedOn() throws {
        let w = try world()
        let fifo = w.directory + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let file = try LLMRProcess.run(["chat", "--config", w.configPath], stdin: Array("/file \(fifo)\n".utf8), environment: env(w))
        #expect(file.exitCode == 64)
        #expect(file.stderr.contains("not a regular file"))
        let bench = try LLMRProcess.run(["bench", "--config", w.configPath, "o", "-n", "1", "-q", "--prompts", fifo], environment: env(w))
        #expect(bench.exitCode == 65)
        #expect(bench.stderr.contains("not a regular file"))
        #expect(w.server.requests.isEmpty)
    }

    /// A program that writes one line, waits for its answer, then writes the next.
    @Test func aCoprocessIsAnsweredLineByLine() throws {
        let w = try world()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: LLMRProcess.binary)
        p.arguments = ["chat", "--config", w.configPath]
        p.environment = env(w)
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = FileHandle.nullDevice
        try p.run()
        killAfter(60, p)
        var answers: [String] = []
        for line in ["ping one", "ping two"] {
            try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
            // The answer comes back while stdin is still open.
            var got = Data()
            while !String(decoding: got, as: UTF8.self).hasSuffix("\n\n") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                got += chunk
            }
            answers.append(String(decoding: got, as: UTF8.self))
        }
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        #expect(answers == ["ping one\n\n", "ping two\n\n"])
        #expect(p.terminationStatus == 0)
    }

    /// Five chats started at once keep five sessions, each its own two turns.
    @Test func chatsStartedTogetherKeepTheirOwnSessions() throws {
        let w = try world()
        let runs = (0..<5).map { i in
            let t = Thread { _ = try? LLMRProcess.run(["chat", "--config", w.configPath], stdin: Array("q\(i) one\nq\(i) two\n".utf8), environment: env(w)) }
            t.start()
            return t
        }
        while runs.contains(where: { !$0.isFinished }) { usleep(5_000) }
        let list = try LLMRProcess.run(["chat", "--config", w.configPath, "--list", "--json"], environment: env(w))
        let sessions = try #require(list.json?["sessions"] as? [[String: Any]])
        #expect(sessions.count == 5, "\(list.stdout)")
        #expect(sessions.allSatisfy { $0["turns"] as? Int == 2 })
    }

    @Test func anUnusableStateDatabaseIsSaidOnceByChatAndByBench() throws {
        let w = try world()
        // A directory where the database file should be: SQLite cannot open it.
        try FileManager.default.createDirectory(atPath: w.stateDirectory + "/state.sqlite", withIntermediateDirectories: true)
        let chat = try LLMRProcess.run(["chat", "--config", w.configPath], stdin: Array("one\ntwo\n".utf8), environment: env(w))
        #expect(chat.exitCode == 0)
        #expect(chat.stdout == "one\n\ntwo\n\n")
        #expect(chat.stderr.components(separatedBy: "was not saved in the state database").count == 2, "\(chat.stderr)")
        let bench = try LLMRProcess.run(["bench", "--config", w.configPath, "o", "-n", "2", "-q", "--json"], environment: env(w))
        #expect(bench.exitCode == 0)
        #expect(bench.stderr.contains("was not recorded in the state database"), "\(bench.stderr)")
    }
}
