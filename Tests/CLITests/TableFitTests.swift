import Testing
@testable import CLI

/// Tables on a terminal fit its width; into a pipe they keep full rows.
@Suite struct TableFitTests {
    let columns = [
        Table.Column("provider", elide: 8),
        Table.Column("api"),
        Table.Column("base url", drop: 2, elide: 12),
        Table.Column("latency p50", short: "p50"),
        Table.Column("placed by", drop: 1),
        Table.Column("status", wraps: true),
    ]
    let rows = [
        ["anthropic-europe-west", "anthropic", "https://europe-west4-aiplatform.example.com/v1", "120 ms", "primary tier, weight 3",
         "skipped: breaker open for 4m 10s after 5 failures in 60s"],
        ["local", "openai", "http://127.0.0.1:8080/v1", "3 ms", "fallback tier", "ready"],
    ]

    func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

    @Test func aPipeKeepsFullRowsAndHeaders() {
        let text = Table.render(columns, rows, width: nil)
        #expect(text.contains("anthropic-europe-west"))
        #expect(text.contains("https://europe-west4-aiplatform.example.com/v1"))
        #expect(text.contains("latency p50"))
        #expect(lines(text).count == 3)
    }

    @Test(arguments: [120, 80, 60, 40])
    func noLineIsWiderThanTheTerminal(_ width: Int) {
        let text = Table.render(columns, rows, width: width)
        for line in lines(text) { #expect(TerminalText.width(line) <= width, "\(width): \(line)") }
        // Every row still starts with its name, and the status is all there (wrapped, not cut).
        #expect(text.contains("ready"))
        let joined = lines(text).map { $0.trimmingPrefixSpaces }.joined(separator: " ")
        #expect(joined.contains("after 5 failures in 60s"), "\(text)")
    }

    @Test func shortHeadersComeBeforeDroppingAndDroppingFollowsRank() {
        let full = TerminalText.width(lines(Table.render(columns, rows, width: nil))[1])
        // Just too wide for full headers, a short header is enough when headers are the widest cells.
        let text = Table.render(columns, rows, width: 100)
        #expect(!text.contains("placed by") || text.contains("base url"), "rank 2 goes before rank 1")
        #expect(full > 100)
        let narrow = Table.render(columns, rows, width: 80)
        #expect(!narrow.contains("base url"), "\(narrow)")
        #expect(narrow.contains("provider"))
    }

    @Test func elidedNamesKeepTheirStartAndEnd() {
        #expect(TerminalText.elide("anthropic-europe-west", to: 12) == "anthro…-west")
        #expect(TerminalText.elide("short", to: 12) == "short")
        #expect(TerminalText.width(TerminalText.elide("anthropic-europe-west", to: 8)) == 8)
        #expect(TerminalText.elide("abc", to: 1) == "…")
    }

    @Test func aWrappedLastColumnHangsUnderItself() {
        let text = Table.render(columns, rows, width: 60)
        let ls = lines(text)
        let start = ls[0].range(of: "status")!.lowerBound.utf16Offset(in: ls[0])
        let continuation = ls.first { $0.hasPrefix(String(repeating: " ", count: start)) && !$0.trimmingPrefixSpaces.isEmpty }
        #expect(continuation != nil, "\(text)")
    }

    @Test func completionChoicesAreListedInColumnsFilledDownwards() {
        let items = ["/help", "/model", "/route", "/system", "/set", "/file", "/retry", "/clear", "/trim", "/sessions", "/resume"]
        let text = Table.grid(items, width: 40)
        let ls = lines(text)
        #expect(ls.count == 4, "\(text)")            // cells 11 wide: 3 columns of 4 rows
        #expect(ls.allSatisfy { TerminalText.width($0) <= 40 })
        #expect(ls[0].hasPrefix("/help      /set       /trim"), "\(text)")
        #expect(Table.grid(["a", "b"], width: 80) == "a  b\n")
        #expect(Table.grid(["a-very-long-choice"], width: 5) == "a-…ce\n")
    }

    @Test func theChatFooterBreaksBetweenItsParts() {
        let parts = ["llama-3.1-8b-instruct", "after gpt-5-mini http_503, claude-sonnet-4-5 http_429", "TTFT 1 ms", "40→5 tokens",
                     "cost unknown", "session $0.000000"]
        let text = ChatView.join(parts, width: 80)
        #expect(text.split(separator: "\n").allSatisfy { TerminalText.width(String($0)) <= 80 }, "\(text)")
        #expect(text.split(separator: "\n").count == 2)
        #expect(text.contains("http_429 · TTFT") == false, "a line ends at a part: \(text)")
        #expect(ChatView.join(parts, width: nil) == parts.joined(separator: " · "))
    }

    @Test func nothingTrapsOnTinyWidthsOrEmptyTables() {
        for w in [0, 1, 5, 10] { _ = Table.render(columns, rows, width: w) }
        _ = Table.render(columns, [], width: 20)
        _ = Table.render([], [], width: 20)
    }
}

extension String {
    var trimmingPrefixSpaces: String { String(drop { $0 == " " }) }
}
