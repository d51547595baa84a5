import RouterCore
import Synchronization

/// A transport that plays canned responses in order, for router tests without sockets.
public final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    /// One canned exchange.
    public enum Reply: Sendable {
        case response(status: Int, headers: [(String, String)], chunks: [String])
        case failure(TransportFailure, afterChunks: [String] = [])
        /// A 200 head, then nothing until the consumer goes away.
        case hang
        /// `reply`, played once the test calls `open(gate)`: events in a known order without timing.
        indirect case gated(String, Reply)
    }

    private let state: Mutex<(replies: [String: [Reply]], sent: [HTTPRequest])>
    private let cancelledStore = Mutex<[String]>([])
    private let gates = Mutex<(open: Set<String>, waiting: [String: [CheckedContinuation<Void, Never>]])>(([], [:]))

    /// Lets every reply gated on `gate` play, now and later.
    public func open(_ gate: String) {
        let waiting = gates.withLock { g in
            g.open.insert(gate)
            defer { g.waiting[gate] = nil }
            return g.waiting[gate] ?? []
        }
        for w in waiting { w.resume() }
    }

    private func wait(for gate: String) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let open = gates.withLock { g in
                if g.open.contains(gate) { return true }
                g.waiting[gate, default: []].append(c)
                return false
            }
            if open { c.resume() }
        }
    }

    /// Waits until a transfer to a URL starting with `prefix` was cancelled by
    /// its consumer. False after `limit` seconds.
    public func waitUntilCancelled(_ prefix: String, limit: Double = 30) async -> Bool {
        await Waiting.until(limit) { self.cancelled.contains { $0.hasPrefix(prefix) } }
    }

    /// Waits until `count` requests were sent: an order of events, not a time.
    /// Gives up after `limit` seconds (a bound with a wide margin) and says so.
    public func waitUntilSent(_ count: Int, limit: Double = 30) async -> Bool {
        await Waiting.until(limit) { self.sent.count >= count }
    }

    /// URLs of transfers whose consumer went away before they finished.
    public var cancelled: [String] { cancelledStore.withLock { $0 } }
    private let clock: ManualClock?
    private let latency: Double

    /// Replies by URL prefix; each list plays in order and its last entry repeats.
    public init(_ replies: [String: [Reply]], clock: ManualClock? = nil, latency: Double = 0.01) {
        state = Mutex((replies, []))
        self.clock = clock
        self.latency = latency
    }

    public var sent: [HTTPRequest] { state.withLock { $0.sent } }

    public func send(_ request: HTTPRequest) -> HTTPResponseStream {
        let reply = state.withLock { s -> Reply in
            s.sent.append(request)
            guard let key = s.replies.keys.filter({ request.url.hasPrefix($0) }).max(by: { $0.count < $1.count }),
                  var list = s.replies[key], !list.isEmpty else {
                return .failure(.connectionRefused("nothing scripted for \(request.url)"))
            }
            let r = list.count > 1 ? list.removeFirst() : list[0]
            s.replies[key] = list
            return r
        }
        clock?.advance(latency)
        let url = request.url
        return HTTPResponseStream(AsyncThrowingStream { [self] c in
            c.onTermination = { [self] termination in
                if case .cancelled = termination { cancelledStore.withLock { $0.append(url) } }
            }
            guard case .gated(let gate, let inner) = reply else {
                Self.play(reply, into: c)
                return
            }
            Task { [self] in
                await wait(for: gate)
                Self.play(inner, into: c)
            }
        })
    }

    private static func play(_ reply: Reply, into c: AsyncThrowingStream<HTTPEvent, Error>.Continuation) {
        switch reply {
        case .hang:
            c.yield(.head(HTTPHead(status: 200, headers: [("Content-Type", "text/event-stream")])))
        case .response(let status, let headers, let chunks):
            c.yield(.head(HTTPHead(status: status, headers: headers)))
            for chunk in chunks { c.yield(.body(Array(chunk.utf8))) }
            c.finish()
        case .failure(let f, let chunks):
            if !chunks.isEmpty { c.yield(.head(HTTPHead(status: 200, headers: [("Content-Type", "text/event-stream")]))) }
            for chunk in chunks { c.yield(.body(Array(chunk.utf8))) }
            c.finish(throwing: f)
        case .gated(_, let inner):
            play(inner, into: c)
        }
    }

    /// An OpenAI-format stream that answers `text`, complete with usage and `[DONE]`.
    public static func openAIStream(_ text: String, done: Bool = true) -> Reply {
        var chunks = text.split(separator: " ", omittingEmptySubsequences: false).enumerated().map { i, w in
            let piece = (i == 0 ? "" : " ") + w
            return "data: " + JSONValue.object([("choices", .array([.object([("delta", .object([("content", .string(piece))]))])]))]).serialized() + "\n\n"
        }
        chunks.append("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
        chunks.append("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5}}\n\n")
        if done { chunks.append("data: [DONE]\n\n") }
        return .response(status: 200, headers: [("Content-Type", "text/event-stream")], chunks: chunks)
    }
}

/// Keys from a fixed table, for tests.
public struct FixedKeys: KeySource {
    public let keys: [String: String]
    public init(_ keys: [String: String]) { self.keys = keys }
    public func key(for provider: ProviderConfig) -> KeyLookup {
        if provider.needsNoKey { return .notNeeded }
        if let k = keys[provider.name] { return .key(k) }
        return .missing("\(provider.keyEnv ?? "the key") is not set (provider \(provider.name) needs it)")
    }
}
