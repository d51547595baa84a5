import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// When each chunk of answer text left the fake, for benchmarks that must
/// tell a client's timing from the server's own pacing (`llmr-fake
/// --send-log FILE`). One line a chunk: the stream's number, the chunk's
/// number in it, and the CLOCK_MONOTONIC time in seconds after its bytes were
/// handed to the socket.
public enum SendLog {
    nonisolated(unsafe) private static var fd: Int32 = -1
    private static let streams = Atomic<Int>(0)

    /// Starts logging to `path` (created or truncated); false when it cannot be opened.
    public static func open(_ path: String) -> Bool {
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        return fd >= 0
    }

    /// A number for a new stream, or nil when nothing is logged.
    static func newStream() -> Int? {
        guard fd >= 0 else { return nil }
        return streams.add(1, ordering: .relaxed).newValue
    }

    /// Logs that chunk `chunk` of stream `stream` has just been sent.
    static func sent(stream: Int, chunk: Int) {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let seconds = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        // One write a line: O_APPEND keeps lines from concurrent streams whole.
        let line = Array("\(stream) \(chunk) \(seconds)\n".utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
