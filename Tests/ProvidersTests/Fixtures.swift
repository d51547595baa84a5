import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// Golden files under Tests/ProvidersTests/Fixtures, read by path.
enum Fixture {
    static let root: String = {
        var path = #filePath
        while let last = path.lastIndex(of: "/"), !path.hasSuffix("/ProvidersTests") { path = String(path[..<last]) }
        return path + "/Fixtures/"
    }()

    static func bytes(_ name: String) -> [UInt8] {
        guard let f = fopen(root + name, "rb") else { return [] }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    static func json(_ name: String) throws -> JSONValue { try JSONValue.parse(bytes(name)) }
}
