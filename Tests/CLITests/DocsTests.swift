import Testing
@testable import CLI
import FakeProvider

/// The man page and the completions name every command and option the parser knows.
@Suite struct DocsTests {
    static let root: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) }
        return path
    }()

    static func read(_ relative: String) -> String {
        FileBytes.read(root + "/" + relative).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    @Test(arguments: ["completions/llmr.bash", "completions/_llmr", "completions/llmr.fish", "man/llmr.1"])
    func everyCommandAndOptionIsThere(file: String) {
        let text = Self.read(file)
        #expect(!text.isEmpty, "\(file) is missing")
        for spec in LLMR.commands {
            #expect(text.contains(spec.name), "\(file) does not mention the command \(spec.name)")
            for option in spec.options {
                // mdoc writes --max-cost as "Fl -max-cost"; fish as "-l max-cost".
                let found = text.contains("--\(option.long)") || text.contains("Fl -\(option.long)") || text.contains("-l \(option.long)")
                #expect(found, "\(file) does not mention --\(option.long) of \(spec.name)")
            }
        }
    }
}
