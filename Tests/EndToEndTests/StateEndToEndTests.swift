import Testing
import Foundation
import FakeProvider
import StateStore
import TestSupport

/// The attempt log shared by every llmr process.
@Suite(.serialized) struct StateEndToEndTests {
    let yaml = """
    providers:
      primary: {api: openai, base_url: http://127.0.0.1:PORT/primary/v1}
      backup:  {api: openai, base_url: http://127.0.0.1:PORT/backup/v1}
    models:
      p: {provider: primary, id: p-model, input: 1, output: 2}
      b: {provider: backup, id: b-model, input: 1, output: 2}
    routes:
      default: {retries: 0, targets: [p], fallback: [b]}
    """

    @Test func everyAttemptIsRecorded() throws {
        let w = try FakeWorld(script: FakeScript(["primary": [.status(503)], "backup": [.answer("fine")]]), yaml: yaml)
        let r = try w.run(["hi"])
        #expect(r.exitCode == 0)
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        #expect(try log.outcomes() == ["http_503", "ok"])
    }

    @Test func fiftyConcurrentProcessesLoseNoRowAndReportNoLock() throws {
        let w = try FakeWorld(script: FakeScript(["primary": [.answer("ok")]]), yaml: yaml)
        let n = 50
        let results = UnsafeMutableBufferPointer<LLMRRun?>.allocate(capacity: n)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: n) { i in
            out[i] = try? w.run(["request \(i)"])
        }
        for r in results {
            #expect(r?.exitCode == 0)
            #expect(r?.stderr == "", "\(r?.stderr ?? "no run")")
        }
        #expect(try AttemptLog(path: w.stateDirectory + "/state.sqlite").count() == n)
    }

    @Test func anUnwritableDatabaseNeverCostsTheAnswer() throws {
        let w = try FakeWorld(script: FakeScript(["primary": [.answer("still here")]]), yaml: yaml)
        // A directory where the database file should be: SQLite cannot open it.
        try FileManager.default.createDirectory(atPath: w.stateDirectory + "/state.sqlite", withIntermediateDirectories: true)
        let r = try w.run(["hi"])
        #expect(r.exitCode == 0)
        #expect(r.stdout == "still here\n")
        #expect(r.stderr.contains("was not recorded in the state database"))
        let blocked = try w.run(["hi"], environment: ["LLMR_STATE_DIR": "/proc/llmr-cannot-exist"])
        #expect(blocked.exitCode == 0)
        #expect(blocked.stdout == "still here\n")
        #expect(blocked.stderr.contains("cannot create the directory"))
    }
}
