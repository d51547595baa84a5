import Testing
@testable import CLI
#if canImport(Glibc)
import Glibc
#endif

/// The man page and the completions name every command and option the parser knows.
@Suite struct DocsTests {
    static let root: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) }
        return path
    }()

    static func read(_ relative: String) -> String {
        guard let f = fopen(root + "/" + relative, "rb") else { return "" }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
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
