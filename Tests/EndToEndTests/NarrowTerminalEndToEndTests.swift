import Testing
import Foundation
import FakeProvider
import TestSupport

/// Every table on a real 80-column terminal: no line is wider than the screen,
/// and bench's live lanes say which targets are done.
@Suite(.serialized) struct NarrowTerminalEndToEndTests {
    static let yaml = """
    providers:
      quick-provider-with-a-long-name: {api: openai, base_url: http://127.0.0.1:PORT/quick/v1}
      slow-provider: {api: anthropic, base_url: http://127.0.0.1:PORT/slow}
      broken-provider: {api: openai, base_url: http://127.0.0.1:PORT/broken/v1}
    models:
      quick-model-with-a-rather-long-catalog-name: {provider: quick-provider-with-a-long-name, id: quick-1, input: 1, output: 2}
      slow: {provider: slow-provider, id: slow-1, input: 3, output: 15}
      broken: {provider: broken-provider, id: broken-1, input: 1, output: 2}
    routes:
      default: {retries: 0, targets: [broken, quick-model-with-a-rather-long-catalog-name], fallback: [slow]}
    breaker: {failures: 2, window: 60s, open_for: 300s}
    """

    func world() throws -> FakeWorld {
        var slow = FakeBehaviour.answer("slowly but surely")
        slow.delayMs = 500
        return try FakeWorld(script: FakeScript(["slow": [slow], "broken": [.status(503)]], unscripted: .answer("quick")), yaml: Self.yaml)
    }

    func env(_ w: FakeWorld) -> [String: String] { ["LLMR_STATE_DIR": w.stateDirectory] }

    /// The lines `args` drew on a terminal `columns` wide, escape sequences and carriage returns aside.
    func screenLines(_ w: FakeWorld, _ args: [String], columns: Int = 80) throws -> (Int32?, [String]) {
        let pty = try PTYSession(args + ["--config", w.configPath], environment: env(w), columns: columns)
        let status = pty.exitStatus()
        return (status, pty.screen.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").map { String($0) })
    }

    func expectFits(_ lines: [String], _ columns: Int = 80, _ what: String) {
        for line in lines where TerminalTextWidth.of(line) > columns { Issue.record("\(what) at \(columns): \(line.debugDescription)") }
    }

    @Test func everyTableFitsEightyColumns() throws {
        let w = try world()
        // Failures open the broken provider's breaker; answers give stats rows.
        for _ in 0..<3 { _ = try w.run(["hi"], environment: env(w)) }
        let (s1, providers) = try screenLines(w, ["providers"])
        #expect(s1 == 0)
        expectFits(providers, 80, "providers")
        #expect(providers.contains { $0.contains("open") }, "\(providers)")
        let (s2, stats) = try screenLines(w, ["providers", "stats"])
        #expect(s2 == 0)
        expectFits(stats, 80, "providers stats")
        let (_, check) = try screenLines(w, ["providers", "check"])
        expectFits(check, 80, "providers check")
        #expect(check.contains { $0.contains("ok") })
        let (s3, route) = try screenLines(w, ["route", "hi"])
        #expect(s3 == 0)
        expectFits(route, 80, "route")
        // Into a pipe the same tables keep whole rows: the long name is there in full.
        let piped = try LLMRProcess.run(["providers", "stats", "--config", w.configPath], environment: env(w))
        #expect(piped.stdout.contains("quick-model-with-a-rather-long-catalog-name"))
    }

    @Test func benchsLanesAndTableFitAndAFinishedTargetSaysDone() throws {
        let w = try world()
        let (status, lines) = try screenLines(w, ["bench", "-n", "4", "-c", "1", "quick-model-with-a-rather-long-catalog-name", "slow"])
        #expect(status == 0, "\(lines)")
        expectFits(lines, 80, "bench")
        // The quick target finishes long before the slow one's 2 s: its lane says so, and never "ETA 0ms".
        #expect(lines.contains { $0.contains("done") && $0.contains("4/4") }, "\(lines)")
        #expect(!lines.contains { $0.contains("ETA 0") }, "\(lines)")
        #expect(lines.contains { TerminalTextWidth.plain($0).hasPrefix("target") }, "\(lines)")
    }

    /// Tab at "/" lists the commands in columns that fit the screen, not as one wrapping line.
    @Test func chatsTabListsChoicesInColumns() throws {
        let w = try world()
        let pty = try PTYSession(["chat", "--config", w.configPath], environment: env(w), columns: 80)
        #expect(pty.waitFor("> ") != nil, "\(pty.screen)")
        pty.type("/\t")
        #expect(pty.waitFor("/sessions") != nil, "\(pty.screen)")
        let lines = pty.screen.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").map { TerminalTextWidth.plain(String($0)) }
        let listing = lines.filter { $0.hasPrefix("/") && $0.contains("  /") }
        #expect(listing.count >= 2, "in rows of columns: \(lines)")
        expectFits(listing, 80, "chat completion list")
        pty.type("\u{15}")      // Ctrl-U clears the line
        #expect(pty.pressCtrlDUntilExit() == 0)
        #expect(w.server.requests.isEmpty)
    }
}
