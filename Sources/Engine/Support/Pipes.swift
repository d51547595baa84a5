#if canImport(Glibc)
import Glibc
#endif

/// Pipes whose ends are closed on exec (Glibc's module does not export pipe2).
public enum Pipes {
    public static func make(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }
}
