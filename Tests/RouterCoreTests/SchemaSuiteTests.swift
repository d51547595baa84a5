import Foundation
@testable import RouterCore
import Testing

/// Our validator against a local copy of the JSON-Schema-Test-Suite's draft
/// 2020-12 files (`scripts/schema-suite.sh DIR`; nothing is fetched). Groups
/// whose schema llmr refuses (a keyword it does not check, a remote
/// reference) are counted apart; on every other case the verdicts must agree.
struct SchemaSuiteTests {
    static let directory = ProcessInfo.processInfo.environment["LLMR_SCHEMA_SUITE"]

    @Test(.enabled(if: directory != nil)) func agreesWithTheSuite() throws {
        let dir = try #require(Self.directory)
        var files: [String] = []
        let walker = FileManager.default.enumerator(atPath: dir)
        while let f = walker?.nextObject() as? String { if f.hasSuffix(".json") { files.append(f) } }
        var agree = 0, disagree = 0, refusedGroups = 0, refusedCases = 0
        var refusals: [String: Int] = [:]
        for file in files.sorted() {
            let groups = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file))))
            for group in groups.array ?? [] {
                let tests = group["tests"]?.array ?? []
                let schema: JSONSchema
                do { schema = try JSONSchema(group["schema"] ?? .null) } catch {
                    refusedGroups += 1
                    refusedCases += tests.count
                    refusals[error.keyword.isEmpty ? "(malformed)" : error.keyword, default: 0] += 1
                    continue
                }
                for test in tests {
                    let expected = test["valid"]?.bool ?? false
                    let verdict = schema.validate(test["data"] ?? .null)
                    if (verdict == nil) == expected {
                        agree += 1
                    } else {
                        disagree += 1
                        Issue.record("\(file): \(group["description"]?.string ?? "?") / \(test["description"]?.string ?? "?"): expected \(expected ? "valid" : "invalid"), got \(verdict.map { "\($0)" } ?? "valid")")
                    }
                }
            }
        }
        let refused = refusals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("schema suite: \(files.count) files, \(agree + disagree) cases evaluated: \(agree) agree, \(disagree) disagree; "
              + "\(refusedGroups) groups (\(refusedCases) cases) refused before use\(refused.isEmpty ? "" : ": \(refused)")")
        #expect(disagree == 0)
        #expect(agree > 0)
    }
}
