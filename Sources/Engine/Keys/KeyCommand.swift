import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs a provider's `key_cmd` through `/bin/sh -c` in a process group of its
/// own, with a time limit: on timeout, or when llmr is interrupted, the whole
/// group is killed, so no child of the command outlives llmr.
enum KeyCommand {
    enum Result: Equatable {
        case output([UInt8])
        case failed(String)
    }

    /// The command's standard output (at most 1 MiB), or why there is none.
    static func run(_ command: String, timeout: Double) -> Result {
        var pipeFDs: [Int32] = [-1, -1]
        guard Pipes.make(&pipeFDs) else { return .failed("could not start (no pipe)") }
        defer { close(pipeFDs[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, killable as one; the signals llmr ignores or blocks, back to normal.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGPIPE, SIGINT, SIGTERM] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)

        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(command), nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        // Spawned and registered as one step, so an interrupt either finds the group or stops the spawn.
        let spawned = ChildProcesses.spawn { posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ) == 0 ? pid : nil }
        close(pipeFDs[1])
        switch spawned {
        case .interrupted: return .failed("was not started: llmr is being interrupted")
        case .failed: return .failed("could not start (\(String(cString: strerror(errno))))")
        case .started: break
        }
        defer { ChildProcesses.ended(pid) }

        let deadline = timeout > 0 ? SystemClock().now() + timeout : .infinity
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var timedOut = false
        reading: while true {
            let left = deadline - SystemClock().now()
            if left <= 0 { timedOut = true; break }
            var p = pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, left.isFinite ? Int32(clamping: Int(milliseconds: left) + 1) : -1)
            if ready < 0 { if errno == EINTR { continue } else { break } }
            if ready == 0 { continue }
            let n = chunk.withUnsafeMutableBytes { read(pipeFDs[0], $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { break reading } }
            if n == 0 { break }
            if output.count < 1 << 20 { output.append(contentsOf: chunk[0..<n]) }
        }
        if timedOut { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        // Whatever the command left running in its group goes with it.
        kill(-pid, SIGKILL)
        if timedOut { return .failed("did not finish within \(DurationParser.format(timeout)) (key_cmd_timeout); it was stopped") }
        let exited = status & 0x7f == 0
        guard exited, (status >> 8) & 0xff == 0 else {
            return .failed(exited ? "failed (exit \((status >> 8) & 0xff))" : "was killed by signal \(status & 0x7f)")
        }
        return .output(output)
    }
}

/// The process groups of running `key_cmd`s, so that an interrupt can end
/// them with llmr: none may outlive it.
public enum ChildProcesses {
    private struct Groups {
        var running: Set<pid_t> = []
        /// An interrupt came: no new group may start.
        var closed = false
    }

    private static let groups = Mutex(Groups())

    enum Spawn { case started, failed, interrupted }

    /// Runs `spawn` (which returns the new group's leader, or nil when it
    /// could not start) under the lock `killAll` takes: a group is either
    /// registered before an interrupt kills them all, or never started.
    static func spawn(_ spawn: () -> pid_t?) -> Spawn {
        groups.withLock { g in
            guard !g.closed else { return .interrupted }
            guard let pid = spawn() else { return .failed }
            g.running.insert(pid)
            return .started
        }
    }

    static func ended(_ pgid: pid_t) { _ = groups.withLock { $0.running.remove(pgid) } }

    /// Kills every running group and lets no new one start (from the interrupt watcher's thread).
    public static func killAll() {
        groups.withLock { g in
            g.closed = true
            for pgid in g.running { kill(-pgid, SIGKILL) }
        }
    }
}
