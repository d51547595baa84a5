import FakeProvider
import RouterCore

/// Golden files under Tests/ProvidersTests/Fixtures, read by path.
enum Fixture {
    static let root: String = {
        var path = #filePath
        while let last = path.lastIndex(of: "/"), !path.hasSuffix("/ProvidersTests") { path = String(path[..<last]) }
        return path + "/Fixtures/"
    }()

    static func bytes(_ name: String) -> [UInt8] { FileBytes.read(root + name) ?? [] }

    static func json(_ name: String) throws -> JSONValue { try JSONValue.parse(bytes(name)) }
}
