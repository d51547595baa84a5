/// An HTTP request ready for the transport: nothing below this knows about routing.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var timeouts: Timeouts

    public init(method: String = "POST", url: String, headers: [(String, String)], body: [UInt8], timeouts: Timeouts = Timeouts()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }

    public static func == (a: HTTPRequest, b: HTTPRequest) -> Bool {
        a.method == b.method && a.url == b.url && a.body == b.body && a.timeouts == b.timeouts
            && a.headers.map { "\($0.0):\($0.1)" } == b.headers.map { "\($0.0):\($0.1)" }
    }

    /// The value of the first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? { headerValue(name, in: headers) }
}

/// The value of the first header named `name` (case-insensitively) in a header list.
public func headerValue(_ name: String, in headers: [(String, String)]) -> String? {
    headers.first { sameHeaderName($0.0, name) }?.1
}

/// Header names compared as HTTP does, ASCII letters ignoring case; without
/// lowercasing copies, since every response's headers are searched.
func sameHeaderName(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    for (x, y) in zip(a.utf8, b.utf8) where x != y {
        // Equal ignoring case only for letters: set bit 0x20 and check the result is a-z.
        guard x | 0x20 == y | 0x20, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(x | 0x20) else { return false }
    }
    return true
}

/// The four time limits of one attempt, in seconds.
public struct Timeouts: Sendable, Equatable {
    /// The whole attempt, from start to the last byte.
    public var total: Double
    /// Establishing the connection (TCP and TLS).
    public var connect: Double
    /// From start until the first byte of the response body.
    public var firstToken: Double
    /// Longest silence between two body bytes once the body has started.
    public var idle: Double

    public init(total: Double = 120, connect: Double = 10, firstToken: Double = 60, idle: Double = 60) {
        self.total = total
        self.connect = connect
        self.firstToken = firstToken
        self.idle = idle
    }
}

/// The head of an HTTP response.
public struct HTTPHead: Sendable, Equatable {
    public var status: Int
    public var headers: [(String, String)]

    public init(status: Int, headers: [(String, String)]) {
        self.status = status
        self.headers = headers
    }

    public static func == (a: HTTPHead, b: HTTPHead) -> Bool {
        a.status == b.status && a.headers.map { "\($0.0):\($0.1)" } == b.headers.map { "\($0.0):\($0.1)" }
    }

    /// The value of the first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? { headerValue(name, in: headers) }
}

/// What the transport reports while a response arrives.
public enum HTTPEvent: Sendable, Equatable {
    case head(HTTPHead)
    case body([UInt8])
}

/// Why a transfer ended without a complete response.
public enum TransportFailure: Error, Sendable, Equatable {
    /// Nothing listens there, or the host could not be reached.
    case connectionRefused(String)
    /// The host name did not resolve.
    case resolve(String)
    /// The TLS handshake or certificate check failed.
    case tls(String)
    /// Connecting took longer than the connect timeout.
    case connectTimeout
    /// No body byte arrived before the first-token timeout.
    case firstTokenTimeout
    /// The body went silent for longer than the idle timeout.
    case idleTimeout
    /// The whole attempt took longer than its timeout.
    case totalTimeout
    /// The connection closed before the response was complete.
    case dropped(String)
    /// Anything else the transport could not do.
    case other(String)
}

/// Sends HTTP requests; the router depends on this, libcurl implements it.
public protocol HTTPTransport: Sendable {
    /// Starts a transfer. Events arrive on the stream; it finishes when the
    /// response is complete, or throws a `TransportFailure`. Ending the
    /// iteration early (or cancelling the task) cancels the transfer.
    func send(_ request: HTTPRequest) -> HTTPResponseStream
}

/// The events of one transfer, as the consumer takes them. Each body chunk
/// taken is reported back to the transport, which pauses a transfer whose
/// consumer falls behind instead of buffering the whole response in memory.
public struct HTTPResponseStream: AsyncSequence, Sendable {
    public typealias Element = HTTPEvent

    let events: AsyncThrowingStream<HTTPEvent, Error>
    let consumed: @Sendable (Int) -> Void
    let answering: @Sendable () -> Void
    let arrival: @Sendable () -> Double?
    let endSoon: @Sendable (Double) -> Void

    /// `arrival` says when the bytes of the body event taken last reached the
    /// transport (CLOCK_MONOTONIC seconds), or nil when the transport cannot tell.
    public init(_ events: AsyncThrowingStream<HTTPEvent, Error>, consumed: @escaping @Sendable (Int) -> Void = { _ in },
                answering: @escaping @Sendable () -> Void = {}, arrival: @escaping @Sendable () -> Double? = { nil },
                endSoon: @escaping @Sendable (Double) -> Void = { _ in }) {
        self.events = events
        self.consumed = consumed
        self.answering = answering
        self.arrival = arrival
        self.endSoon = endSoon
    }

    /// Ends the response within `seconds` if it has not ended by then (the
    /// events end with a timeout): the answer is whole, and only what may
    /// follow it (Gemini's token counts) is still worth a short wait.
    public func end(within seconds: Double) { endSoon(seconds) }

    /// When the body bytes taken last arrived, as the transport saw them: a
    /// benchmark times chunks by this, not by when its own task got to them.
    public var lastArrival: Double? { arrival() }

    /// Tells the transport the answer has begun (its first token, or a body
    /// that is not a token stream): from now on the idle timeout applies
    /// instead of the first-token timeout. Bytes alone do not count, since
    /// some APIs send a preamble (Anthropic's message_start) or keep-alive
    /// pings long before the first token.
    public func answerBegan() { answering() }

    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<HTTPEvent, Error>.AsyncIterator
        let consumed: @Sendable (Int) -> Void

        public mutating func next() async throws -> HTTPEvent? {
            let event = try await base.next(isolation: #isolation)
            if case .body(let bytes)? = event { consumed(bytes.count) }
            return event
        }
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: events.makeAsyncIterator(), consumed: consumed)
    }
}
