#if canImport(Glibc)
import Glibc
#endif

/// Reading whole files and streams with plain POSIX calls.
public enum FileIO {
    public struct ReadError: Error {
        public var message: String
    }

    /// The whole file at `path`.
    public static func read(path: String) throws(ReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { throw ReadError(message: "it is a directory") }
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
}
