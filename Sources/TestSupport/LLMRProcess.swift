import Foundation
import FakeProvider

/// Runs the built `llmr` binary as a user would, and captures what it printed.
public struct LLMRRun: Sendable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String

    /// stdout parsed as the `--json` object.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }

    /// The outcomes of the `--json` attempts, in order.
    public var outcomes: [String] {
        (json?["attempts"] as? [[String: Any]])?.compactMap { $0["outcome"] as? String } ?? []
    }
}

public enum LLMRProcess {
    /// The `llmr` binary beside the test bundle, or `$LLMR_BIN`.
    public static var binary: String {
        if let b = ProcessInfo.processInfo.environment["LLMR_BIN"], !b.isEmpty { return b }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("llmr").path
    }

    /// Runs `llmr args…` with `stdin` (empty when nil) and only the environment given (plus PATH and HOME).
    /// A process still running after `limit` seconds (a hang: the margin is
    /// wide) is killed, so one hang fails its test instead of stalling the suite.
    public static func run(_ args: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:],
                           executable: String? = nil, limit: Double = 120) throws -> LLMRRun {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable ?? binary)
        p.arguments = args
        let home = NSTemporaryDirectory() + "llmr-home-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: home) }
        var env = ["PATH": "/usr/bin:/bin", "HOME": home, "TERM": "dumb"]
        env.merge(environment) { $1 }
        p.environment = env
        let input = Pipe(), output = Pipe(), errors = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = errors
        try OpenDescriptors.checkBound()
        try p.run()
        killAfter(limit, p)
        // A child that stops reading early (it refused a huge stdin) must not kill the tests.
        signal(SIGPIPE, SIG_IGN)
        let feeder = Thread {
            if let stdin { try? input.fileHandleForWriting.write(contentsOf: Data(stdin)) }
            try? input.fileHandleForWriting.close()
        }
        feeder.start()
        // Read both pipes to the end before waiting, so a chatty child never blocks.
        nonisolated(unsafe) var errData = Data()
        let errReader = Thread { errData = errors.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while errReader.isExecuting || !errReader.isFinished { usleep(1000) }
        try? output.fileHandleForReading.close()
        try? errors.fileHandleForReading.close()
        return LLMRRun(exitCode: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Kills `p` if it is still running after `limit` seconds. The process is
/// held weakly: a watchdog that kept every finished run (and with it its pipes)
/// for its whole limit held thousands of descriptors open in a full test run.
public func killAfter(_ limit: Double, _ p: Process) {
    let pid = p.processIdentifier
    DispatchQueue.global().asyncAfter(deadline: .now() + limit) { [weak p] in
        if let p, p.isRunning { kill(pid, SIGKILL) }
    }
}

/// The descriptors this test process holds. Foundation's `Process.run` lists
/// /proc/self/fd and, in this toolchain, copies each entry's whole 256-byte
/// name field (swift-corelibs-foundation#5472): once the listing fills glibc's
/// 32 KiB buffer (about 1,365 entries) that copy can run off the buffer and
/// crash the whole test run. A leak is refused here, by name, long before.
public enum OpenDescriptors {
    public static let bound = 1_000

    public static func count() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(dir) }
        var n = 0
        while readdir(dir) != nil { n += 1 }
        return max(0, n - 3) // ".", ".." and the listing's own descriptor
    }

    public struct TooMany: Error, CustomStringConvertible {
        public let count: Int
        public var description: String {
            "the test process holds \(count) open descriptors (bound \(OpenDescriptors.bound)): a test leaks pipes or sockets"
        }
    }

    public static func checkBound() throws {
        let n = count()
        if n > bound { throw TooMany(count: n) }
    }
}

/// Runs `llmr args…` under a pseudo-terminal (util-linux `script`), so stdin,
/// stdout and stderr are all terminals, as for a person at a shell.
public enum TerminalRun {
    public static func run(_ args: [String], environment: [String: String] = [:]) throws -> LLMRRun {
        let quoted = ([LLMRProcess.binary] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let env = environment.map { "\($0.key)='\($0.value)'" }.sorted().joined(separator: " ")
        return try LLMRProcess.run(["-qec", "env \(env) \(quoted)", "/dev/null"], stdin: nil, environment: environment, executable: "/usr/bin/script")
    }
}

/// A fake provider server plus a config file pointing at it, for one end-to-end test.
public final class FakeWorld: @unchecked Sendable {
    public let server: FakeServer
    public let directory: String
    public let configPath: String

    /// `providers`: fake provider names; `extraYAML`: models, routes and more, where
    /// `PORT` stands for the server's port.
    public init(script: FakeScript, providerOptions: [String: String] = [:], yaml: String) throws {
        server = try FakeServer(script: script)
        directory = NSTemporaryDirectory() + "llmr-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configPath = directory + "/config.yaml"
        let text = yaml.replacingOccurrences(of: "PORT", with: String(server.port))
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The state directory this world's runs use.
    public var stateDirectory: String { directory + "/state" }

    public func run(_ args: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:]) throws -> LLMRRun {
        var env = ["LLMR_STATE_DIR": stateDirectory]
        env.merge(environment) { $1 }
        return try LLMRProcess.run(["ask", "--config", configPath] + args, stdin: stdin, environment: env)
    }
}
