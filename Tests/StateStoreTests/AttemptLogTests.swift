import Testing
import Foundation
@testable import RouterCore
@testable import StateStore

@Suite struct AttemptLogTests {
    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "llmr-state-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func result(_ outcomes: [Outcome]) -> RouteResult {
        let attempts = outcomes.map {
            AttemptRecord(provider: "p", model: "m", modelID: "m-1", tier: .primary, outcome: $0, status: $0 == .ok ? 200 : 503,
                          latencyMs: 12, ttftMs: 3, usage: $0 == .ok ? Usage(inputTokens: 1_000_000, outputTokens: 500_000) : nil)
        }
        return RouteResult(route: "default", pieces: ["x"], provider: "p", model: "m", modelID: "m-1", usage: nil, costUSD: nil,
                           latencyMs: 20, ttftMs: 3, fallback: outcomes.count > 1, attempts: attempts, failure: nil, brokenOff: false, continued: false)
    }

    @Test func recordsEveryAttemptWithItsCost() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try AttemptLog(path: dir + "/state.sqlite")
        let entry = ModelEntry(name: "m", provider: "p", id: "m-1", inputPrice: 2, outputPrice: 10)
        try log.record(result([.http(503), .ok]), requestID: "r1", at: 1_700_000_000) { $0 == "m" ? entry : nil }
        #expect(try log.outcomes() == ["http_503", "ok"])
        #expect(AttemptLog.headerShowsSchema(dir + "/state.sqlite"))
    }

    @Test func theWALStaysShortAcrossManyProcesses() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/state.sqlite"
        for i in 0..<300 {
            // A fresh log each time, as each llmr process opens its own.
            let log = try AttemptLog(path: path)
            try log.record(result([.ok]), requestID: "r\(i)", at: Double(i)) { _ in nil }
        }
        let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? Int.max
        #expect(wal <= AttemptLog.walLimit + 64 * 1024)
        #expect(try AttemptLog(path: path).count() == 300)
    }

    @Test func aPathThatCannotBeADatabaseFailsWithAReason() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "not sqlite at all, just text that is long enough to fill a header ......................................"
            .write(toFile: dir + "/state.sqlite", atomically: true, encoding: .utf8)
        do {
            let log = try AttemptLog(path: dir + "/state.sqlite")
            try log.record(result([.ok]), requestID: "r", at: 0) { _ in nil }
            Issue.record("a text file must not pass for a database")
        } catch {
            #expect(error.reason.contains("not a usable SQLite database"))
        }
    }
}
