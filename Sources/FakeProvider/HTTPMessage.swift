#if canImport(Glibc)
import Glibc
#endif
import RouterCore

/// A request the fake provider received, as it arrived.
public struct RecordedRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The fake provider it was addressed to (the first path segment).
    public var provider: String
    /// When it was read (CLOCK_MONOTONIC seconds).
    public var receivedAt: Double = 0

    public func header(_ name: String) -> String? { headerValue(name, in: headers) }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The model asked for: the body's `model`, or Gemini's `models/NAME:` in the path.
    public var model: String? {
        if let m = (try? JSONValue.parse(body))?["model"]?.string { return m }
        guard let range = path.firstRange(of: "/models/") else { return nil }
        return path[range.upperBound...].split(separator: ":").first.map(String.init)
    }
}

/// Reads HTTP/1.1 requests off a socket.
struct RequestReader {
    let fd: Int32
    var buffer: [UInt8] = []

    /// The next request, or nil when the peer closed the connection.
    mutating func next() -> RecordedRequest? {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = find([13, 10, 13, 10])
            if headEnd == nil, !fill() { return nil }
        }
        guard let end = headEnd else { return nil }
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let first = lines.first else { return nil }
        let parts = first.split(separator: " ")
        guard parts.count >= 2 else { return nil }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingWhitespace()))
        }
        let length = Int(headerValue("content-length", in: headers) ?? "0") ?? 0
        while buffer.count < length {
            if !fill() { return nil }
        }
        let body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        let path = String(parts[1])
        let provider = path.split(separator: "/").first.map(String.init) ?? ""
        return RecordedRequest(method: String(parts[0]), path: path, headers: headers, body: body, provider: provider,
                               receivedAt: SystemClock().now())
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where buffer[i] == needle[0] {
            if Array(buffer[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }
}
