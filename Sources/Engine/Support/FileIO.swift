#if canImport(Glibc)
import Glibc
#endif

/// Reading whole files and streams with plain POSIX calls.
public enum FileIO {
    public struct ReadError: Error {
        public var message: String
    }

    /// The whole file at `path`. With `regularOnly`, anything but a regular
    /// file (a FIFO, a device, a socket) is refused before a byte is read, so
    /// nothing waits for ever on a writer that never comes; without it a pipe
    /// is read (`--config <(…)`).
    public static func read(path: String, regularOnly: Bool = false) throws(ReadError) -> [UInt8] {
        // Opening a FIFO blocks until it has a writer: not when asked not to wait.
        let fd = open(path, O_RDONLY | O_CLOEXEC | (regularOnly ? O_NONBLOCK : 0))
        guard fd >= 0 else { throw ReadError(message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 {
            let type = st.st_mode & S_IFMT
            if type == S_IFDIR { throw ReadError(message: "it is a directory") }
            if regularOnly, type != S_IFREG {
                throw ReadError(message: "it is not a regular file (a pipe, a device or a socket); give a file")
            }
        }
        if regularOnly { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        return try readAll(fd: fd, limit: 16 << 20)
    }

    /// Everything on `fd` up to `limit` bytes; more than that is an error.
    public static func readAll(fd: Int32, limit: Int) throws(ReadError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(message: String(cString: strerror(errno)))
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw ReadError(message: "more than \(limit >> 20) MiB") }
        }
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Writes `bytes` beside `path` and renames it over, so a reader never sees half a file.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(ReadError) {
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ReadError(message: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 {
                let why = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw ReadError(message: "cannot write \(temporary): \(why)")
            }
            written += n
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw ReadError(message: "cannot replace \(path): \(String(cString: strerror(errno)))") }
    }
}
