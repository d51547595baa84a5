import CurlTransport
import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What every routed command needs before it can send anything, begun at the
/// top of the process, before the async runtime has started: opening the
/// state database on a thread of its own and, for a command that will send,
/// libcurl's global set-up (OpenSSL reads its configuration) on the
/// transport's own thread, which then stays on as the transport's. Both
/// overlap with parsing the arguments and reading the config on the main thread.
public enum EarlyStart {
    private struct Opening {
        var dir: String?
        var outcome: Result<any StateBackend, StateFailure>?
        var waiters: [CheckedContinuation<Result<any StateBackend, StateFailure>, Never>] = []
    }

    private static let opening = Mutex(Opening())

    /// Starts the set-up. The front end calls it when its command reads the
    /// state store (not for `--help` or `--version`); `warmTransport` when it
    /// will send a request before anything else could answer it.
    public static func begin(warmTransport: Bool) {
        // libcurl's set-up is not waited for: the process ends with _exit
        // (`finish`), which runs no clean-up that could meet it half done.
        var environment: [String: String] = [:]
        for name in ["LLMR_STATE_DIR", "XDG_STATE_HOME", "HOME"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        var fds: [Int32] = [-1, -1]
        guard let dir = StatePath.directory(environment), Pipes.make(&fds) else {
            if warmTransport { CurlTransport.startEarly() }
            return
        }
        done = (fds[0], fds[1])
        let doneFD = fds[1]
        opening.withLock { $0.dir = dir }
        let launched = DetachedThread.start {
            let outcome = StatePath.open(dir)
            let waiters = opening.withLock { box in
                box.outcome = outcome
                defer { box.waiters = [] }
                return box.waiters
            }
            for w in waiters { w.resume(returning: outcome) }
            var byte: UInt8 = 1
            _ = write(doneFD, &byte, 1)
        }
        if launched { started = true } else { opening.withLock { $0.dir = nil } }
        // Second: the state store is on the critical path of every command.
        if warmTransport { CurlTransport.startEarly() }
    }

    /// Whether the open was begun and not yet waited for, and the pipe it reports on.
    nonisolated(unsafe) private static var started = false
    nonisolated(unsafe) private static var done: (read: Int32, write: Int32) = (-1, -1)

    /// Ends the process with `code`. An open of the state database begun
    /// early is waited for first: a process that stops early (a usage error)
    /// must not leave a migration half done; any other has long since needed
    /// it. libcurl's set-up is not: `_exit` runs no atexit clean-up
    /// (OpenSSL's), so a process that never sent (a cache hit, an error
    /// before routing) does not wait for a set-up it did not use. Everything
    /// llmr prints is written straight to its descriptor, so nothing is lost.
    public static func finish(_ code: Int32) -> Never {
        var byte: UInt8 = 0
        while started {
            let n = read(done.read, &byte, 1)
            if n == 1 { started = false } else if n < 0, errno == EINTR { continue } else { break }
        }
        _exit(code)
    }

    /// True when the database in `dir` is being opened early.
    static func isOpening(_ dir: String) -> Bool { opening.withLock { $0.dir == dir } }

    /// The early open's outcome, waited for without blocking a thread.
    static func state() async -> Result<any StateBackend, StateFailure> {
        if let done = opening.withLock({ $0.outcome }) { return done }
        return await withCheckedContinuation { continuation in
            let done = opening.withLock { box -> Result<any StateBackend, StateFailure>? in
                if box.outcome == nil { box.waiters.append(continuation) }
                return box.outcome
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}
