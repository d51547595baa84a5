import Testing
import Foundation
import TestSupport

/// llmr's own code, its config reader and its state store use no Foundation:
/// Foundation would bring ICU's ~30 MB of data and thousands of conformance
/// records that every start pays for. The test build links Swift's libraries
/// dynamically, so a Foundation import anywhere in llmr shows up as a needed
/// library; `scripts/check-lean.sh` checks the release binary's symbols in CI.
@Suite struct LeanBinaryTests {
    func needed(_ binary: String) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["readelf", "-d", binary]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
            .filter { $0.contains("(NEEDED)") }
            .compactMap { line in line.split(separator: "[").last.map { String($0.dropLast()) } }
    }

    @Test func llmrNeedsNoFoundationOrICU() throws {
        let libraries = try needed(LLMRProcess.binary)
        #expect(libraries.contains { $0.hasPrefix("libswiftCore") }, "not a dynamically linked test build: \(libraries)")
        let heavy = libraries.filter { $0.contains("Foundation") || $0.contains("icu") || $0.contains("XCTest") }
        #expect(heavy.isEmpty, "llmr links \(heavy)")
    }
}
