import Foundation

/// Runs `llmr` the ways a shell can and `Process` cannot: with a standard
/// descriptor closed or redirected (`<&-`, `>&-`, `> /dev/full`), with raw
/// bytes in argv, or started in the background and sent a signal.
public enum ShellRun {
    /// `/bin/sh -c "exec llmr ARGS REDIRECTIONS"`; `args` are quoted, `redirections` are not.
    public static func run(_ args: [String], redirections: String, environment: [String: String]) throws -> LLMRRun {
        let line = "exec " + ([LLMRProcess.binary] + args).map(quote).joined(separator: " ") + " " + redirections
        return try LLMRProcess.run(["-c", line], stdin: nil, environment: environment, executable: "/bin/sh")
    }

    /// Runs a shell command line (test set-up: mounts and the like); its exit status.
    @discardableResult
    public static func sh(_ line: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", line]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    public static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// A running `llmr` whose output is collected until it exits.
    public final class Background: @unchecked Sendable {
        public let process = Process()
        private let output = Pipe(), errors = Pipe()

        public init(_ args: [String], environment: [String: String]) throws {
            process.executableURL = URL(fileURLWithPath: LLMRProcess.binary)
            process.arguments = args
            var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "TERM": "dumb"]
            env.merge(environment) { $1 }
            process.environment = env
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = output
            process.standardError = errors
            try process.run()
        }

        /// Sends `signal` and waits for the exit; returns what it printed and how long the exit took (seconds).
        public func stop(with signal: Int32) -> (LLMRRun, Double) {
            let sent = Date()
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            let took = Date().timeIntervalSince(sent)
            let out = output.fileHandleForReading.readDataToEndOfFile()
            let err = errors.fileHandleForReading.readDataToEndOfFile()
            return (LLMRRun(exitCode: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                            stderr: String(decoding: err, as: UTF8.self)), took)
        }
    }

    /// Waits (polling, at most `limit` seconds) until `condition` holds.
    public static func waitUntil(_ limit: Double = 10, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(limit)
        while Date() < end {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    /// Whether any process on the machine has `marker` in its command line.
    public static func processRunning(withMarker marker: String) -> Bool {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.contains { pid in
            guard Int(pid) != nil, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(marker)
        }
    }
}
