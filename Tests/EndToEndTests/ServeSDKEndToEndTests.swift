import Testing
import Foundation
import FakeProvider
import TestSupport

private let sdkPython = ProcessInfo.processInfo.environment["LLMR_SDK_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }

/// The client libraries people use — the `openai` and `anthropic` Python SDKs
/// from PyPI — against `llmr serve` over the fake provider. `make test` installs
/// them once into a cache directory (scripts/sdk-venv.sh) and names its Python
/// in `LLMR_SDK_PYTHON`; a bare `swift test` without it skips these.
@Suite(.serialized, .enabled(if: sdkPython != nil, "LLMR_SDK_PYTHON names no Python with the SDKs (make test sets it)"))
struct ServeSDKEndToEndTests {
    static let python = sdkPython
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SDK/serve_clients.py").path

    typealias Gateway = ServeEndToEndTests.Gateway

    /// Runs one scenario of serve_clients.py against `g`; its output when it fails.
    func run(_ scenario: String, _ g: Gateway, _ arg: String? = nil) throws -> (ok: Bool, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python ?? "/usr/bin/false")
        p.arguments = [Self.script, scenario, g.base] + (arg.map { [$0] } ?? [])
        p.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "NO_PROXY": "*", "OPENAI_LOG": "", "ANTHROPIC_LOG": ""]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus == 0 && text.contains("ok \(scenario)"), text)
    }

    @Test func wholeAndStreamedThroughAFailoverAndAcrossFormats() throws {
        let g = try Gateway(["down": [.status(503)], "up": [.answer("Hello there")], "cut": [.answer("from openai")]])
        let r = try run("formats", g)
        #expect(r.ok, "\(r.output)")
    }

    @Test func everyRefusalIsTheErrorTheSDKRaises() throws {
        var limited = FakeBehaviour.status(429)
        limited.retryAfter = "3"
        // "down" is rate-limited (the solo route), "cut" fails (502), "up" answers.
        let g = try Gateway(["down": [limited], "up": [.answer("ok")], "cut": [.status(500)]],
                            serve: ", keys_env: GATEWAY_KEY, max_body: 4KiB", environment: ["GATEWAY_KEY": "k-gateway-1"])
        let r = try run("errors", g, "k-gateway-1")
        #expect(r.ok, "\(r.output)")
    }

    @Test func beyondMaxConcurrencyIs503() throws {
        var slow = FakeBehaviour.answer("a b c d e f")
        slow.chunkDelayMs = 200
        let g = try Gateway(["up": [slow, .answer("quick")]], serve: ", max_concurrency: 1")
        let r = try run("busy", g)
        #expect(r.ok, "\(r.output)")
    }

    @Test func aCutStreamIsAnErrorInBothSDKsNeverAnEnd() throws {
        var cut = FakeBehaviour.answer("one two three four five")
        cut.disconnectAfter = 2
        let g = try Gateway(["cut": [cut]])
        let r = try run("cut", g)
        #expect(r.ok, "\(r.output)")
    }

    @Test func sigtermLetsTheSDKsStreamFinish() throws {
        var slow = FakeBehaviour.answer("a b c d e f g h")
        slow.chunkDelayMs = 100
        let g = try Gateway(["up": [slow]])
        let r = try run("sigterm", g, String(g.server.process.processIdentifier))
        #expect(r.ok, "\(r.output)")
        let (stopped, _) = g.server.stop(with: SIGTERM)
        #expect(stopped.exitCode == 0, "\(stopped.stderr)")
    }

    @Test func metricsParseWithPrometheusOwnParser() throws {
        let g = try Gateway(["down": [.status(503)], "up": [.answer("Hello there")]])
        let r = try run("metrics", g)
        #expect(r.ok, "\(r.output)")
    }
}
