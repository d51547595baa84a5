#if canImport(Glibc)
import Glibc
#endif

/// Whole files as bytes, for the fake provider's scripts and the tests' fixtures.
public enum FileBytes {
    /// The file's bytes, or nil when it cannot be opened.
    public static func read(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        return bytes
    }
}
