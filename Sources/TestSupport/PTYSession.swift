import Foundation

/// `llmr` on a real pseudo-terminal (util-linux `script`), typed at as a
/// person would: keys are written to the terminal, the screen's bytes are
/// read back as they come.
public final class PTYSession: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private let lock = NSLock()
    private var buffer = Data()

    /// Starts `llmr args…` with `environment` (plus PATH, HOME and TERM=xterm)
    /// on a terminal `columns` wide.
    public init(_ args: [String], environment: [String: String], columns: Int = 200) throws {
        let quoted = ([LLMRProcess.binary] + args).map(ShellRun.quote).joined(separator: " ")
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "TERM": "xterm", "LANG": "C.UTF-8"]
        env.merge(environment) { $1 }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        // stty: a fixed width, so that libedit never wraps the lines the tests look for.
        process.arguments = ["-qfec", "stty cols \(columns) rows 50; exec \(quoted)", "/dev/null"]
        process.environment = env
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.lock()
            self.buffer.append(d)
            self.lock.unlock()
        }
        signal(SIGPIPE, SIG_IGN)
        try process.run()
    }

    /// Sends `sig` to the llmr under the terminal (the child of `script`).
    public func send(signal sig: Int32) {
        let children = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(process.processIdentifier)/children",
                                     encoding: .utf8)) ?? ""
        for pid in children.split(separator: " ").compactMap({ Int32($0) }) { kill(pid, sig) }
    }

    /// Everything the terminal has shown so far.
    public var screen: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Types `text` (raw bytes: "\r" is Enter, "\u{3}" Ctrl-C, "\u{4}" Ctrl-D).
    public func type(_ text: String) {
        try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    /// Waits (polling, at most `limit` seconds) until the screen holds `text`
    /// `count` times; how long it took, or nil on time-out.
    @discardableResult
    public func waitFor(_ text: String, count: Int = 1, limit: Double = 30) -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < limit {
            if screen.components(separatedBy: text).count - 1 >= count { return Date().timeIntervalSince(start) }
            usleep(2_000)
        }
        return nil
    }

    /// Presses Ctrl-D until the process ends (at most `tries` times, half a
    /// second apart); its exit status, or nil. A Ctrl-D that reaches the
    /// terminal while no line is being edited is the terminal's own end of
    /// input, which nobody reads, so one press can be lost on a loaded machine.
    public func pressCtrlDUntilExit(tries: Int = 10) -> Int32? {
        for _ in 0..<tries {
            type("\u{4}")
            if let status = exitStatus(limit: 0.5, terminating: false) { return status }
        }
        return exitStatus()
    }

    /// Waits for the process to end (at most `limit` seconds); its exit status, or nil.
    public func exitStatus(limit: Double = 30, terminating: Bool = true) -> Int32? {
        let start = Date()
        while process.isRunning, Date().timeIntervalSince(start) < limit { usleep(5_000) }
        if process.isRunning {
            if terminating { process.terminate() }
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
        output.fileHandleForReading.readabilityHandler = nil
    }
}
