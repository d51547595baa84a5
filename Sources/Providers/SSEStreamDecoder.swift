import RouterCore

/// One API's reading of server-sent events into normalized stream events.
protocol SSEEventReader {
    mutating func read(_ event: SSEEvent, into out: inout [StreamEvent])
}

extension SSEEventReader {
    /// The event's data as JSON, or a `.malformed` event said on its behalf.
    func json(_ event: SSEEvent, into out: inout [StreamEvent]) -> JSONValue? {
        do { return try JSONValue.parse(event.data) } catch {
            out.append(.malformed("a stream event is not valid JSON (\(error)): \(ErrorText.clip(event.data))"))
            return nil
        }
    }
}

/// A `StreamDecoder` made of the SSE framing and one API's event reader.
final class SSEStreamDecoder<Reader: SSEEventReader>: StreamDecoder {
    private var sse = SSEDecoder()
    private var reader: Reader

    init(_ reader: Reader) {
        self.reader = reader
    }

    func feed(_ bytes: [UInt8]) -> [StreamEvent] {
        var out: [StreamEvent] = []
        for event in sse.feed(bytes) { reader.read(event, into: &out) }
        return out
    }

    func finish() -> [StreamEvent] {
        var out: [StreamEvent] = []
        for event in sse.finish() { reader.read(event, into: &out) }
        return out
    }
}
