import Foundation
import Synchronization

/// Every redis-server a test started and has not stopped: killed when the
/// test process exits, so that none outlives the run.
private let running = Mutex<Set<Int32>>([])
private let exitHook: Void = {
    atexit {
        for pid in running.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}()

/// A `redis-server` (Debian's redis-server) of a test's own on 127.0.0.1, on a
/// free port, keeping nothing on disk; stopped when released.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    public let process = Process()
    public let directory: String
    /// The addresses it listens on.
    public let bind: [String]

    /// Whether this machine has redis-server (`.ci/run` and `make test` install it).
    public static var available: Bool { binary != nil }

    static var binary: String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public var url: String { "redis://127.0.0.1:\(port)/0" }

    /// `bind`: the addresses it listens on (loopback; a fleet test adds its hosts' links).
    public init(port: Int? = nil, bind: [String] = ["127.0.0.1"], extra: [String] = []) throws {
        guard let binary = Self.binary else { throw CocoaError(.fileNoSuchFile) }
        self.port = port ?? Self.freePort()
        self.bind = bind
        directory = NSTemporaryDirectory() + "llmr-redis-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--port", String(self.port), "--bind", bind.joined(separator: " "), "--protected-mode", "no", "--save", "", "--appendonly", "no",
                             "--dir", directory, "--daemonize", "no", "--enable-debug-command", "local"] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        _ = exitHook
        try process.run()
        let pid = process.processIdentifier
        running.withLock { _ = $0.insert(pid) }
        _ = ShellRun.waitUntil(10) { (try? self.cli(["PING"])) == "PONG" }
    }

    /// redis-cli's answer to one command.
    @discardableResult
    public func cli(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        p.arguments = ["-p", String(port)] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func stop() {
        let pid = process.processIdentifier
        running.withLock { _ = $0.remove(pid) }
        // Killed, not waited for: nothing it holds is needed (it keeps nothing on disk).
        if process.isRunning { kill(pid, SIGKILL) }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A TCP port free on 127.0.0.1 now (for any server a test starts).
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
