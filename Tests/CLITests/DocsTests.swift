import Foundation
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

    /// The README's exit-code table and the man page's EXIT STATUS list the same codes.
    @Test func theExitCodesAreTheSameInTheREADMEAndTheManPage() throws {
        let readme = Self.read("README.md")
        let table = try #require(readme.range(of: "### Exit codes").map { String(readme[$0.upperBound...]) })
        let section = table[..<(table.range(of: "\n## ")?.lowerBound ?? table.endIndex)]
        let inReadme = Set(section.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("| ") else { return nil }
            return Int(line.dropFirst(2).prefix { $0.isNumber })
        })
        let man = Self.read("man/llmr.1")
        let status = try #require(man.range(of: ".Sh EXIT STATUS").map { String(man[$0.upperBound...]) })
        let list = status[..<(status.range(of: ".Sh ")?.lowerBound ?? status.endIndex)]
        let inMan = Set(list.split(separator: "\n").compactMap { line -> Int? in
            line.hasPrefix(".It ") ? Int(line.dropFirst(4)) : nil
        })
        #expect(inReadme.count >= 12)
        #expect(inReadme == inMan, "README \(inReadme.sorted()) vs man page \(inMan.sorted())")
    }

    /// llmr-fake --help documents every key its scripts take.
    @Test func theFakesHelpNamesEveryScriptKey() throws {
        let source = Self.read("Sources/FakeProvider/FakeBehaviour.swift")
        let keys = source.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("case \""), let end = t.dropFirst(6).firstIndex(of: "\"") else { return nil }
            return String(t.dropFirst(6)[..<end])
        }
        #expect(keys.count > 25)
        let help = Self.read("Sources/llmr-fake/main.swift")
        for key in keys { #expect(help.contains(key), "llmr-fake --help does not name '\(key)'") }
    }
}
