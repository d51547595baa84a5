import CurlTransport
import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What every routed command needs before it can send anything, begun at the
/// top of the process, before the async runtime has started: libcurl's global
/// set-up (OpenSSL reads its configuration) on the transport's own thread,
/// which then stays on as the transport's, and opening the state database on
/// a thread of its own. Both overlap with parsing the arguments and reading
/// the config on the main thread; on two cores, neither waits for the other.
public enum EarlyStart {
    private struct Opening {
        var dir: String?
        var outcome: Result<any StateBackend, StateFailure>?
        var waiters: [CheckedContinuation<Result<any StateBackend, StateFailure>, Never>] = []
    }

    private static let opening = Mutex(Opening())

    /// Starts the set-up. The front end calls it when its command will send
    /// requests or read the state store (not for `--help` or `--version`).
    public static func begin() {
        var fds: [Int32] = [-1, -1]
        guard Pipes.make(&fds) else { return }
        done = (fds[0], fds[1])
        let doneFD = fds[1]
        @Sendable func finished() {
            var byte: UInt8 = 1
            _ = write(doneFD, &byte, 1)
        }
        if CurlTransport.startEarly(ready: finished) { started += 1 }
        var environment: [String: String] = [:]
        for name in ["LLMR_STATE_DIR", "XDG_STATE_HOME", "HOME"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        guard let dir = StatePath.directory(environment) else { return }
        opening.withLock { $0.dir = dir }
        let launched = DetachedThread.start {
            let outcome = StatePath.open(dir)
            let waiters = opening.withLock { box in
                box.outcome = outcome
                defer { box.waiters = [] }
                return box.waiters
            }
            for w in waiters { w.resume(returning: outcome) }
            finished()
        }
        if launched { started += 1 } else { opening.withLock { $0.dir = nil } }
    }

    /// Set-ups begun and not yet waited for, and the pipe each reports on.
    nonisolated(unsafe) private static var started = 0
    nonisolated(unsafe) private static var done: (read: Int32, write: Int32) = (-1, -1)

    /// Waits until the set-up begun early is over. The process must not exit
    /// in the middle of it: exit runs OpenSSL's and SQLite's clean-up while
    /// another thread is still inside them. A command that stops early (a
    /// usage error) waits a millisecond or two; any other has long since
    /// needed both. Call from the main thread, just before exit.
    public static func settle() {
        var byte: UInt8 = 0
        while started > 0 {
            let n = read(done.read, &byte, 1)
            if n == 1 { started -= 1 } else if n < 0, errno == EINTR { continue } else { break }
        }
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
