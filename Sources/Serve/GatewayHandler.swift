import Engine
import NIOCore
import NIOHTTP1
import Providers
import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What every connection shares: the gateway, the limits, the client keys,
/// and how many requests are being answered.
final class ServeState: Sendable {
    let gateway: Gateway
    let options: ServeOptions
    let inFlight = Atomic<Int>(0)
    let metrics = GatewayMetrics()

    init(gateway: Gateway, options: ServeOptions) {
        self.gateway = gateway
        self.options = options
    }

    /// True when `head` carries one of the client keys (`Authorization: Bearer`
    /// or `x-api-key`), or none is configured. Compared in constant time.
    func authorized(_ head: HTTPRequestHead) -> Bool {
        guard !options.keys.isEmpty else { return true }
        var offered: [String] = head.headers["x-api-key"]
        for value in head.headers["authorization"] where value.lowercased().hasPrefix("bearer ") {
            offered.append(String(value.dropFirst(7)).trimmingWhitespace())
        }
        var ok = false
        for o in offered { for k in options.keys { ok = Self.same(o, k) || ok } }
        return ok
    }

    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }
}

/// One connection: reads a request (head, body up to `max_body`), answers
/// it, and reads the next (NIO's pipelining handler keeps them in order).
final class GatewayHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let state: ServeState
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false
    private var running: Task<Void, Never>?
    /// Set while the client is not reading what is written to it.
    private var stalled: Scheduled<Void>?
    /// Set while a request is answered; the answer clears it when its end is written.
    private let busy = BusyFlag()

    init(state: ServeState) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = context.channel.allocator.buffer(capacity: 0)
            tooLarge = (h.headers.first(name: "content-length").flatMap(Int.init) ?? 0) > state.options.maxBody
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > state.options.maxBody {
                tooLarge = true
                body = nil
            } else {
                body?.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            body = nil
            let channel = context.channel
            busy.value.store(true, ordering: .relaxed)
            let exchange = Exchange(channel: channel, head: head, state: state, busy: busy, client: channel.remoteAddress?.ipAddress)
            if tooLarge {
                exchange.refuse(ClientError(status: 413, "the request body is larger than serve.max_body (\(state.options.maxBody) bytes)"), close: true)
                return
            }
            running = Task { await exchange.answer(bytes) }
        }
    }

    /// Nothing read for `serve.idle_timeout`: a request half sent is answered
    /// 408 and the connection closed; an idle keep-alive connection is closed;
    /// a connection waiting for its answer is left alone.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if let head {
            self.head = nil
            Exchange(channel: context.channel, head: head, state: state, busy: busy, client: context.channel.remoteAddress?.ipAddress)
                .refuse(ClientError(status: 408, "the request was not sent within serve.idle_timeout"), close: true)
        } else if !busy.value.load(ordering: .relaxed) {
            context.close(promise: nil)
        }
    }

    /// The client stopped taking what is written: the connection's buffer is
    /// past its high-water mark. If nothing drains for `serve.idle_timeout`,
    /// the client is dropped and its request stopped, rather than the rest
    /// of its answer held in memory. A client that reads, however slowly, stays.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let channel = context.channel
        if channel.isWritable {
            stalled?.cancel()
            stalled = nil
        } else if stalled == nil {
            let timeout = state.options.idleTimeout
            stalled = context.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
                guard !channel.isWritable else { return }
                let line = "llmr serve: the client at \(channel.remoteAddress?.ipAddress ?? "?") read nothing for serve.idle_timeout while its answer waited; dropped, and its request stopped\n"
                _ = line.withCString { write(2, $0, strlen($0)) }
                channel.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stalled?.cancel()
        // The client went away: its request stops, and what was sent is still recorded.
        running?.cancel()
        context.fireChannelInactive()
    }
}

/// Whether a connection's request is being answered, shared with the answer's task.
final class BusyFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// Which API a path speaks.
enum ServedAPI {
    case openai, anthropic

    init(path: String) {
        self = path.hasPrefix("/v1/messages") ? .anthropic : .openai
    }

    func error(_ e: ClientError) -> JSONValue {
        switch self {
        case .openai: return OpenAIServer.error(status: e.status, message: e.message, param: e.param)
        case .anthropic: return AnthropicServer.error(status: e.status, message: e.message)
        }
    }
}

/// One request and its answer, written to the channel from any thread.
struct Exchange: Sendable {
    let channel: any Channel
    let head: HTTPRequestHead
    let state: ServeState
    let busy: BusyFlag
    /// The client's address, read when the request arrived (the connection may be gone by its access line).
    let client: String?
    let started = SystemClock().now()

    var path: String { String(head.uri.split(separator: "?", maxSplits: 1).first ?? "") }
    var api: ServedAPI { ServedAPI(path: path) }

    func respond(_ status: HTTPResponseStatus, _ json: JSONValue, headers: [(String, String)] = [], close: Bool = false,
                 routed: RouteResult? = nil, error: String? = nil) {
        respond(status, bytes: json.bytes() + [0x0A], type: "application/json", headers: headers, close: close, routed: routed, error: error)
    }

    func respond(text: String, type: String) {
        respond(.ok, bytes: Array(text.utf8), type: type, headers: [], close: false)
    }

    func respond(_ status: HTTPResponseStatus, bytes: [UInt8], type: String, headers: [(String, String)], close: Bool,
                 routed: RouteResult? = nil, error: String? = nil) {
        var h = HTTPHeaders(headers)
        h.add(name: "content-type", value: type)
        h.add(name: "content-length", value: String(bytes.count))
        if close || !head.isKeepAlive { h.add(name: "connection", value: "close") }
        var response = HTTPResponseHead(version: head.version, status: status, headers: h)
        response.headers.replaceOrAdd(name: "server", value: "llmr/\(LLMRVersion.string)")
        channel.write(HTTPServerResponsePart.head(response), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes))), promise: nil)
        let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        busy.value.store(false, ordering: .relaxed)
        if close || !head.isKeepAlive { done.whenComplete { [channel] _ in channel.close(promise: nil) } }
        log(Int(status.code), routed: routed, error: error)
    }

    func refuse(_ e: ClientError, headers: [(String, String)] = [], close: Bool = false, routed: RouteResult? = nil) {
        respond(HTTPResponseStatus(statusCode: e.status), api.error(e), headers: headers, close: close, routed: routed,
                error: Secrets.redact(e.message))
    }

    /// One access line on stderr (`--log text` or `json`).
    func log(_ status: Int, routed: RouteResult? = nil, stream: Bool = false, broken: Bool = false, error: String? = nil) {
        state.metrics.answered(endpoint: path, status: status)
        let ms = Int(((SystemClock().now() - started) * 1000).rounded())
        var entry = AccessEntry(time: SystemClock().wallTime(), method: head.method.rawValue, path: path, status: status, ms: ms,
                                client: client, stream: stream, broken: broken, error: error)
        if let routed { entry.add(routed) }
        entry.write(state.options.log)
    }

    func answer(_ body: [UInt8]) async {
        // Health checks need no key: they tell nothing but that the gateway is up.
        guard path == "/healthz" || state.authorized(head) else {
            refuse(ClientError(status: 401, "a client key is needed: Authorization: Bearer KEY or x-api-key: KEY (serve.keys_env)"))
            return
        }
        switch (head.method, path) {
        case (.GET, "/healthz"):
            respond(.ok, .object([("status", "ok")]))
        case (.GET, "/metrics"):
            let text = state.metrics.render(context: state.gateway.context, inFlight: state.inFlight.load(ordering: .relaxed),
                                            now: SystemClock().wallTime())
            respond(text: text, type: "text/plain; version=0.0.4")
        case (.GET, "/v1/models"):
            let ids = state.gateway.modelIDs
            respond(.ok, .object([("object", "list"), ("data", .array(ids.map {
                .object([("id", .string($0)), ("object", "model"), ("created", 0), ("owned_by", "llmr")])
            }))]))
        case (.POST, "/v1/chat/completions"), (.POST, "/v1/messages"):
            await chat(body)
        case (_, "/healthz"), (_, "/metrics"), (_, "/v1/models"), (_, "/v1/chat/completions"), (_, "/v1/messages"):
            refuse(ClientError(status: 405, "\(head.method.rawValue) is not allowed on \(path)"))
        default:
            refuse(ClientError(status: 404, "no such endpoint: \(path) (llmr serve has /v1/chat/completions, /v1/messages, /v1/models, /healthz)"))
        }
    }

    func chat(_ body: [UInt8]) async {
        let served: ServedRequest
        do { served = api == .anthropic ? try AnthropicServer.decode(body) : try OpenAIServer.decode(body) } catch {
            refuse(error)
            return
        }
        let admitted = state.inFlight.add(1, ordering: .relaxed).newValue
        defer { state.inFlight.subtract(1, ordering: .relaxed) }
        guard admitted <= state.options.maxConcurrency else {
            refuse(ClientError(status: 503, "llmr serve is answering serve.max_concurrency (\(state.options.maxConcurrency)) requests; try again"),
                   headers: [("retry-after", "1")])
            return
        }
        let routing: Routing
        switch state.gateway.prepare(served) {
        case .success(let r): routing = r
        case .failure(let e):
            refuse(e)
            return
        }
        if served.stream { await stream(served, routing: routing) } else { await whole(served, routing: routing) }
    }

    func llmrHeaders(_ r: RouteResult) -> [(String, String)] {
        var out: [(String, String)] = [("x-llmr-attempts", String(r.attempts.count))]
        if let route = r.route { out.append(("x-llmr-route", route)) }
        if let p = r.provider { out.append(("x-llmr-provider", p)) }
        if let m = r.model { out.append(("x-llmr-model", m)) }
        if let c = r.costUSD { out.append(("x-llmr-cost-usd", NumberText.decimal(c, significant: 6))) }
        return out
    }

    func failure(_ r: RouteResult) {
        guard let f = r.failure else { return }
        var headers = llmrHeaders(r)
        if let wait = ServedFailure.retryAfter(r) { headers.append(("retry-after", String(wait))) }
        refuse(ClientError(status: ServedFailure.status(f), f.message), headers: headers, routed: r)
    }

    func whole(_ served: ServedRequest, routing: Routing) async {
        let result = await state.gateway.answer(served, routing: routing, live: false) { _ in }
        state.metrics.routed(result, seconds: SystemClock().now() - started)
        // Recorded once the client has its answer (requests in flight, SIGTERM waits for, include this).
        defer { state.gateway.record(result, of: served) }
        guard result.failure == nil else { return failure(result) }
        let id = Self.id()
        let json = api == .anthropic ? AnthropicServer.whole(result, model: served.model, id: "msg_" + id)
            : OpenAIServer.whole(result, model: served.model, id: "chatcmpl-" + id, created: Int(SystemClock().wallTime()))
        respond(.ok, json, headers: llmrHeaders(result), routed: result)
    }

    /// A streamed answer. Nothing is sent before the first text: until then a
    /// failover is invisible and a failure is still an HTTP status. After it,
    /// a break the router cannot continue ends the stream with the format's
    /// error event, never with its end.
    func stream(_ served: ServedRequest, routing: Routing) async {
        let id = Self.id()
        let writer = Mutex(StreamWriter(api: api, id: id, model: served.model, includeUsage: served.includeUsage))
        let began = Atomic<Bool>(false)
        let broken = Atomic<Bool>(false)
        let send: @Sendable (String) -> Void = { [channel] text in
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: text))), promise: nil)
        }
        // The candidate now answering: the stream's head names it.
        let current = Mutex<Candidate?>(nil)
        let result = await state.gateway.answer(served, routing: routing, live: true) { event in
            guard !broken.load(ordering: .relaxed) else { return }
            switch event {
            case .attemptStarted(let c, _):
                current.withLock { $0 = c }
            case .delta(let text):
                if !began.exchange(true, ordering: .relaxed) {
                    var headers: [(String, String)] = []
                    if let route = routing.plan.route { headers.append(("x-llmr-route", route)) }
                    if let c = current.withLock({ $0 }) { headers += [("x-llmr-provider", c.provider.name), ("x-llmr-model", c.model.name)] }
                    sendStreamHead(headers)
                }
                send(writer.withLock { $0.text(text) })
            case .resuming(_, _, let continuing, _) where !continuing && began.load(ordering: .relaxed):
                // The text so far cannot be taken back: this stream ends broken.
                broken.store(true, ordering: .relaxed)
                send(writer.withLock { $0.failed("the provider broke off and the answer could not be continued") })
                withUnsafeCurrentTask { $0?.cancel() }
            default: break
            }
        }
        state.metrics.routed(result, seconds: SystemClock().now() - started)
        defer { state.gateway.record(result, of: served) }
        if broken.load(ordering: .relaxed) {
            finishStream(close: true, result, broken: true)
            return
        }
        if !began.load(ordering: .relaxed) {
            // No text was sent: a failure is still a status; an answer goes out whole as events.
            guard result.failure == nil else { return failure(result) }
            sendStreamHead(llmrHeaders(result))
        }
        if let f = result.failure {
            send(writer.withLock { $0.failed(f.message) })
            finishStream(close: true, result, broken: true)
        } else {
            send(writer.withLock { $0.end(result) })
            finishStream(close: false, result, broken: false)
        }
    }

    func sendStreamHead(_ extra: [(String, String)]) {
        var h = HTTPHeaders([("content-type", "text/event-stream"), ("cache-control", "no-cache")])
        for (k, v) in extra { h.add(name: k, value: v) }
        if !head.isKeepAlive { h.add(name: "connection", value: "close") }
        channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: .ok, headers: h)), promise: nil)
    }

    func finishStream(close: Bool, _ result: RouteResult, broken: Bool) {
        let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        busy.value.store(false, ordering: .relaxed)
        if close || !head.isKeepAlive { done.whenComplete { [channel] _ in channel.close(promise: nil) } }
        log(200, routed: result, stream: true, broken: broken, error: broken ? result.failure.map { Secrets.redact($0.message) } : nil)
    }

    static func id() -> String {
        var g = SystemRandomNumberGenerator()
        return String(g.next() & 0xFFFF_FFFF_FFFF, radix: 16)
    }
}

/// The format's stream writer, behind one interface.
struct StreamWriter: Sendable {
    var openai: OpenAIServer.Stream?
    var anthropic: AnthropicServer.Stream?

    init(api: ServedAPI, id: String, model: String, includeUsage: Bool) {
        switch api {
        case .openai: openai = OpenAIServer.Stream(id: "chatcmpl-" + id, created: Int(SystemClock().wallTime()), model: model, includeUsage: includeUsage)
        case .anthropic: anthropic = AnthropicServer.Stream(id: "msg_" + id, model: model)
        }
    }

    mutating func text(_ t: String) -> String { openai?.text(t) ?? anthropic?.text(t) ?? "" }
    mutating func end(_ r: RouteResult) -> String { openai?.end(r) ?? anthropic?.end(r) ?? "" }
    func failed(_ m: String) -> String { openai?.failed(m) ?? anthropic?.failed(m) ?? "" }
}
