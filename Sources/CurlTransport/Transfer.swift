internal import CCurl
import RouterCore
import Synchronization

/// One HTTP exchange on the transport thread: its easy handle, header list,
/// response head and timing. Touched only by the transport thread once added.
final class Transfer: @unchecked Sendable {
    let request: HTTPRequest
    let continuation: AsyncThrowingStream<HTTPEvent, Error>.Continuation
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    let errorBuffer: UnsafeMutablePointer<CChar>
    var status = 0
    var headers: [(String, String)] = []
    var headEmitted = false
    var startedAt = 0.0
    /// Set by the consumer once the answer has begun (see `HTTPResponseStream.answerBegan`).
    let answering = Atomic<Bool>(false)
    /// When the transport thread first saw `answering`; the idle clock starts no earlier.
    var answerSeenAt: Double?
    var lastByteAt = 0.0
    /// When the transfer ends at the latest, answer whole or not (`end(within:)`). Transport thread only.
    var endBy: Double?
    var finished = false
    /// Body bytes received since the last hand-over to the consumer. The
    /// transport thread hands them over once per turn of its loop, so a fast
    /// stream costs one wake-up of the consumer per turn, not one per read.
    var pending: [UInt8] = []
    /// Bytes handed over that the consumer has not taken yet.
    let outstanding = Atomic<Int>(0)
    /// Set while curl holds the transfer paused because the consumer is behind.
    let paused = Atomic<Bool>(false)

    /// Past this many unread bytes the transfer is paused; below `lowWater` it resumes.
    /// A quarter of a mebibyte keeps loopback streams at full speed.
    static let highWater = 256 << 10
    static let batchLimit = 64 << 10
    static let lowWater = 64 << 10

    init(request: HTTPRequest, continuation: AsyncThrowingStream<HTTPEvent, Error>.Continuation) {
        self.request = request
        self.continuation = continuation
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        if let easy { curl_easy_cleanup(easy) }
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
    }

    /// Configures an easy handle for this request, `handle` (one reset after an
    /// earlier transfer) or a new one; false when curl refuses.
    func prepare(reusing handle: UnsafeMutableRawPointer? = nil) -> Bool {
        guard let h = handle ?? curl_easy_init() else { return false }
        easy = h
        let me = Unmanaged.passUnretained(self).toOpaque()
        var ok = true
        func check(_ code: CURLcode) { if code != CURLE_OK { ok = false } }
        check(llmr_easy_setopt_string(h, CURLOPT_URL, request.url))
        check(llmr_easy_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorBuffer))
        check(llmr_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1))
        check(llmr_easy_setopt_string(h, CURLOPT_USERAGENT, "llmr/\(LLMRVersion.string)"))
        check(llmr_easy_setopt_string(h, CURLOPT_ACCEPT_ENCODING, ""))
        check(llmr_easy_setopt_long(h, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1))
        // 0 means no limit; curl reads a connect timeout of 0 as its own 300 s, so ask for the longest a config may set.
        let connect = request.timeouts.connect > 0 ? request.timeouts.connect : ConfigLimits.day
        check(llmr_easy_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Self.ms(connect)))
        check(llmr_easy_setopt_long(h, CURLOPT_TIMEOUT_MS, Self.ms(request.timeouts.total)))
        if request.method == "GET" {
            check(llmr_easy_setopt_long(h, CURLOPT_HTTPGET, 1))
        } else {
            check(llmr_easy_setopt_offt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            request.body.withUnsafeBufferPointer { buf in
                // COPYPOSTFIELDS copies the body, so it need not outlive this call.
                if let base = buf.baseAddress, !buf.isEmpty {
                    check(llmr_easy_setopt_pointer(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base)))
                } else {
                    check(llmr_easy_setopt_string(h, CURLOPT_COPYPOSTFIELDS, ""))
                }
            }
            if request.method != "POST" { check(llmr_easy_setopt_string(h, CURLOPT_CUSTOMREQUEST, request.method)) }
        }
        var list: UnsafeMutablePointer<curl_slist>?
        // An empty Expect header stops curl from waiting for "100 Continue" on larger bodies.
        for line in request.headers.map({ "\($0.0): \($0.1)" }) + ["Expect:"] {
            list = curl_slist_append(list, line)
        }
        headerList = list
        check(llmr_easy_setopt_slist(h, CURLOPT_HTTPHEADER, list))
        check(llmr_easy_setopt_write(h, CURLOPT_WRITEFUNCTION, { ptr, size, count, userdata in
            guard let ptr, let userdata else { return 0 }
            let t = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
            return t.receiveBody(UnsafeRawBufferPointer(start: ptr, count: size * count))
        }))
        check(llmr_easy_setopt_pointer(h, CURLOPT_WRITEDATA, me))
        check(llmr_easy_setopt_write(h, CURLOPT_HEADERFUNCTION, { ptr, size, count, userdata in
            guard let ptr, let userdata else { return 0 }
            let t = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
            return t.receiveHeader(UnsafeRawBufferPointer(start: ptr, count: size * count))
        }))
        check(llmr_easy_setopt_pointer(h, CURLOPT_HEADERDATA, me))
        return ok
    }

    static func ms(_ seconds: Double) -> Int {
        seconds <= 0 ? 0 : max(1, Int(milliseconds: seconds))
    }

    func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        // Read as bytes: a response's headers pass through here once per line,
        // and per-Character string work cost more than the rest of a request.
        let line = Self.trimmed(bytes[...])
        if line.starts(with: "HTTP/".utf8) {
            // A new status line: a 100 Continue or a redirect came first; start over.
            let afterVersion = line.drop { $0 != UInt8(ascii: " ") }.dropFirst()
            let code = afterVersion.prefix { $0 != UInt8(ascii: " ") }
            status = Int(String(decoding: code, as: UTF8.self)) ?? 0
            headers.removeAll()
        } else if line.isEmpty {
            if status >= 200 { emitHead() }
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            headers.append((String(decoding: line[..<colon], as: UTF8.self),
                            String(decoding: Self.trimmed(line[(colon + 1)...]), as: UTF8.self)))
        }
        return bytes.count
    }

    /// `bytes` without the spaces, tabs and line ends around it.
    static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        func space(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, space(bytes[start]) { start += 1 }
        while end > start, space(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if outstanding.load(ordering: .acquiring) + pending.count > Self.highWater {
            // Announce the pause first, then look again: the consumer may have
            // caught up in between, and it resumes only transfers marked paused.
            paused.store(true, ordering: .sequentiallyConsistent)
            if outstanding.load(ordering: .sequentiallyConsistent) + pending.count > Self.highWater {
                return Int(CURL_WRITEFUNC_PAUSE)
            }
            paused.store(false, ordering: .sequentiallyConsistent)
        }
        lastByteAt = SystemClock().now()
        emitHead()
        pending.append(contentsOf: bytes)
        // Hand over in pieces of at most 64 KiB: the consumer's transient
        // allocations stay small, and memory use does not swing with timing.
        if pending.count >= Self.batchLimit { flush() }
        return bytes.count
    }

    /// Hands the bytes received so far to the consumer.
    func flush() {
        guard !pending.isEmpty else { return }
        outstanding.add(pending.count, ordering: .sequentiallyConsistent)
        arrivals.withLock { $0.pending.append(lastByteAt) }
        continuation.yield(.body(pending))
        pending = []
    }

    /// When each piece handed over and not yet taken arrived, in order, and
    /// when the piece taken last did.
    let arrivals = Mutex<(pending: [Double], taken: Double?)>(([], nil))

    /// The consumer took the next piece.
    func took() {
        arrivals.withLock { a in
            if !a.pending.isEmpty { a.taken = a.pending.removeFirst() }
        }
    }

    func emitHead() {
        guard !headEmitted else { return }
        headEmitted = true
        if status == 0, let easy {
            var code = 0
            _ = llmr_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
            status = code
        }
        continuation.yield(.head(HTTPHead(status: status, headers: headers)))
    }

    /// Ends the event stream, successfully or with a failure.
    func complete(_ failure: TransportFailure?) {
        guard !finished else { return }
        finished = true
        flush()
        if let failure {
            continuation.finish(throwing: failure)
        } else {
            emitHead()
            continuation.finish()
        }
    }

    /// The transport failure a curl result code stands for.
    func failure(for code: CURLcode) -> TransportFailure {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_CONNECT: return .connectionRefused(detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .resolve(detail)
        case CURLE_OPERATION_TIMEDOUT:
            var connectTime: curl_off_t = 0
            if let easy { _ = llmr_easy_getinfo_offt(easy, CURLINFO_CONNECT_TIME_T, &connectTime) }
            return connectTime == 0 && !headEmitted ? .connectTimeout : .totalTimeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED:
            return .tls(detail)
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
             CURLE_BAD_CONTENT_ENCODING:
            return .dropped(detail)
        default:
            return .other(detail)
        }
    }
}
