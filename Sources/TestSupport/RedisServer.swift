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
    public let process: Process
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
    /// A server that another process beat to its port exits at once; it is
    /// started again on another port (a `port` given is waited for instead),
    /// and it is only taken once it answers as itself, never as another
    /// test's server that happens to hold the port.
    public init(port: Int? = nil, bind: [String] = ["127.0.0.1"], extra: [String] = []) throws {
        guard let binary = Self.binary else { throw CocoaError(.fileNoSuchFile) }
        _ = Self.swept
        self.bind = bind
        directory = NSTemporaryDirectory() + "llmr-redis-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = exitHook
        var started: (Int, Process)?
        for _ in 0..<5 where started == nil {
            let chosen = port ?? Self.freePort()
            if port != nil { _ = ShellRun.waitUntil(10) { Self.bindable(chosen) } }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["--port", String(chosen), "--bind", bind.joined(separator: " "), "--protected-mode", "no", "--save", "", "--appendonly", "no",
                           "--dir", directory, "--daemonize", "no", "--enable-debug-command", "local"] + extra
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let pid = p.processIdentifier
            running.withLock { _ = $0.insert(pid) }
            let own = "process_id:\(pid)"
            if ShellRun.waitUntil(10, { !p.isRunning || ((try? Self.cli(port: chosen, ["INFO", "server"])) ?? "").contains(own) }), p.isRunning {
                started = (chosen, p)
            } else {
                running.withLock { _ = $0.remove(pid) }
                kill(pid, SIGKILL)
            }
        }
        guard let (chosen, p) = started else { throw CocoaError(.fileWriteUnknown, userInfo: ["why": "redis-server did not start"]) }
        self.port = chosen
        process = p
    }

    /// A test process that crashed never ran its exit hook: its servers live
    /// on, orphans (parent 1) in a directory of this helper's naming. Killed
    /// once, before this process starts its first.
    static let swept: Void = {
        let prefix = NSTemporaryDirectory() + "llmr-redis-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                  (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("redis-server") == true,
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")"),
                  stat[stat.index(after: close)...].split(separator: " ").dropFirst().first == "1",
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                  cwd.hasPrefix(prefix) else { continue }
            kill(pid, SIGKILL)
            try? FileManager.default.removeItem(atPath: cwd)
        }
    }()

    /// redis-cli's answer to one command.
    @discardableResult
    public func cli(_ args: [String]) throws -> String { try Self.cli(port: port, args) }

    static func cli(port: Int, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        p.arguments = ["-p", String(port)] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try? out.fileHandleForReading.close()
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

    /// A TCP port free on 127.0.0.1 now (for any server a test starts), never
    /// one handed out before in this run, and below the kernel's ephemeral
    /// range: the ports that port-0 binds (the fake providers') and outgoing
    /// connections take come from that range, so none of them can take this
    /// one between now and the server's bind.
    public static func freePort() -> Int {
        let low = ephemeralLow()
        if low > 12_000 {
            var g = SystemRandomNumberGenerator()
            for _ in 0..<1_000 {
                let candidate = Int.random(in: 10_000..<low, using: &g)
                let fresh = handedOut.withLock { $0.insert(candidate).inserted }
                if fresh && bindable(candidate) { return candidate }
            }
        }
        // A machine whose ephemeral range starts low: whatever port 0 gives.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = loopback(port: 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    private static let handedOut = Mutex<Set<Int>>([])

    /// The first port of the kernel's ephemeral range (32768 unless configured).
    static func ephemeralLow() -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) } ?? 32_768
    }

    /// Whether a listening socket could bind `port` on 127.0.0.1 now.
    static func bindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = loopback(port: port)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }
}
