internal import CCurl
import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP transport on libcurl: one multi handle driven by its own thread, so
/// many transfers run at once and any of them can be cancelled.
///
/// Callers hand requests over through a locked inbox and wake the thread with
/// `curl_multi_wakeup`; everything else (easy handles, callbacks, timeouts)
/// happens on the transport thread. The first-token and idle timeouts are
/// checked there too, since curl has no notion of either.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    private struct Inbox {
        var adds: [Transfer] = []
        var cancels: [Transfer] = []
        var resumes: [Transfer] = []
        var graces: [(Transfer, Double)] = []
        var threadStarted = false
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    /// Transfers in the multi handle, by easy handle. Transport thread only.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    /// Easy handles of finished transfers, reset and ready for the next. Transport thread only.
    private var idle: [UnsafeMutableRawPointer] = []
    /// Enough for `bench -c 64` without keeping a burst's worth of handles forever.
    private static let idleLimit = 64

    private static let globalInit: Bool = {
        curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    /// A transport for this process; its connections are reused across requests.
    public static let shared = CurlTransport()

    public init() {
        _ = Self.globalInit
        // curl_multi_init only fails when memory runs out, and then nothing else would work either.
        guard let m = curl_multi_init() else { fatalError("llmr: libcurl could not create a multi handle (out of memory)") }
        multi = m
        // No cap on connections per host: callers bound their own concurrency
        // (bench's -c, a hedge's two attempts). A cap made requests to one
        // host queue inside curl behind other targets' long streams, and that
        // wait showed up as their time to first token.
        _ = llmr_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, 0)
    }

    public func send(_ request: HTTPRequest) -> HTTPResponseStream {
        let (stream, continuation) = AsyncThrowingStream<HTTPEvent, Error>.makeStream()
        let transfer = Transfer(request: request, continuation: continuation)
        continuation.onTermination = { [weak self] _ in self?.cancel(transfer) }
        let consumed: @Sendable (Int) -> Void = { [weak self] n in
            transfer.took()
            let left = transfer.outstanding.subtract(n, ordering: .sequentiallyConsistent).newValue
            if left < Transfer.lowWater, transfer.paused.exchange(false, ordering: .sequentiallyConsistent) {
                self?.resume(transfer)
            }
        }
        inbox.withLock { $0.adds.append(transfer) }
        if claimThread() { spawnThread() }
        curl_multi_wakeup(multi)
        return HTTPResponseStream(stream, consumed: consumed, answering: { [weak self] in
            // The idle clock starts now, not at the last byte before the answer.
            if !transfer.answering.exchange(true, ordering: .sequentiallyConsistent) { self?.wake() }
        }, arrival: { transfer.arrivals.withLock { $0.taken } }, endSoon: { [weak self] seconds in
            self?.inbox.withLock { $0.graces.append((transfer, seconds)) }
            self?.wake()
        })
    }

    private func wake() {
        curl_multi_wakeup(multi)
    }

    private func resume(_ transfer: Transfer) {
        inbox.withLock { $0.resumes.append(transfer) }
        curl_multi_wakeup(multi)
    }

    private func cancel(_ transfer: Transfer) {
        inbox.withLock { $0.cancels.append(transfer) }
        curl_multi_wakeup(multi)
    }

    private func spawnThread() {
        guard DetachedThread.start({ self.run() }) else { fatalError("llmr: could not start the transport thread") }
    }

    /// Starts the shared transport's thread now, before any request: the
    /// thread sets libcurl up (its global init loads OpenSSL's configuration)
    /// and then waits for transfers, while the caller's thread goes on. A
    /// `send` made before the set-up is done waits for it.
    @discardableResult
    public static func startEarly() -> Bool {
        DetachedThread.start {
            let transport = CurlTransport.shared
            if transport.claimThread() { transport.run() }
        }
    }

    /// True when the caller's thread is to run the loop (nobody started one yet).
    private func claimThread() -> Bool {
        inbox.withLock { box in
            defer { box.threadStarted = true }
            return !box.threadStarted
        }
    }

    /// The transport thread: add and cancel, drive curl, finish transfers, enforce timeouts, sleep.
    private func run() {
        while true {
            let (adds, cancels, resumes, graces) = inbox.withLock { box -> ([Transfer], [Transfer], [Transfer], [(Transfer, Double)]) in
                defer {
                    box.adds.removeAll()
                    box.cancels.removeAll()
                    box.resumes.removeAll()
                    box.graces.removeAll()
                }
                return (box.adds, box.cancels, box.resumes, box.graces)
            }
            for (t, seconds) in graces {
                let by = SystemClock().now() + max(0, seconds)
                t.endBy = min(t.endBy ?? by, by)
            }
            for t in adds { start(t) }
            for t in resumes {
                guard let easy = t.easy, active[easy] != nil else { continue }
                // Time spent paused was the consumer's, not the server's silence.
                t.lastByteAt = SystemClock().now()
                _ = curl_easy_pause(easy, CURLPAUSE_CONT)
            }
            for t in cancels {
                if let easy = t.easy, active[easy] != nil { finish(t, .other("cancelled")) }
            }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle, let t = active[easy] else { continue }
                let code = msg.pointee.data.result
                finish(t, code == CURLE_OK ? nil : t.failure(for: code))
            }
            for t in active.values { t.flush() }
            let wait = enforceDeadlines()
            _ = curl_multi_poll(multi, nil, 0, Int32(wait), nil)
        }
    }

    private func start(_ t: Transfer) {
        guard t.prepare(reusing: idle.popLast()), let easy = t.easy else {
            t.complete(.other("libcurl refused the request for \(t.request.url)"))
            return
        }
        t.startedAt = SystemClock().now()
        active[easy] = t
        if curl_multi_add_handle(multi, easy) != CURLM_OK {
            active[easy] = nil
            t.complete(.other("libcurl could not start the transfer to \(t.request.url)"))
        }
    }

    /// Takes a transfer out of the multi handle, ends its event stream and
    /// keeps its easy handle for the next request: creating and freeing one
    /// per request cost more than the request's own bookkeeping in `bench`.
    private func finish(_ t: Transfer, _ failure: TransportFailure?) {
        guard let easy = t.easy else { return }
        _ = curl_multi_remove_handle(multi, easy)
        active[easy] = nil
        // Completing may read the handle (the status code), so it goes first.
        t.complete(failure)
        t.easy = nil
        // Only a handle whose transfer ended normally is kept: one that was
        // cancelled, timed out or paused is freed rather than trusted to reset.
        if failure == nil, !t.paused.load(ordering: .relaxed), idle.count < Self.idleLimit {
            // Back to the defaults: nothing of this request (its callbacks, body, headers) stays set.
            curl_easy_reset(easy)
            idle.append(easy)
        } else {
            curl_easy_cleanup(easy)
        }
    }

    /// Fails transfers past their first-token or idle deadline; returns how many
    /// milliseconds the thread may sleep before the next deadline.
    private func enforceDeadlines() -> Int {
        let now = SystemClock().now()
        var wait = 1000.0
        for t in Array(active.values) {
            let deadline: Double
            let failure: TransportFailure
            if let by = t.endBy {
                // Past its grace period a transfer ends whatever it is doing.
                if now >= by { finish(t, .idleTimeout); continue }
                wait = min(wait, (by - now) * 1000)
            }
            if t.paused.load(ordering: .relaxed) { continue }
            // A limit of 0 means no limit, as for every timeout.
            if t.answering.load(ordering: .relaxed) {
                if t.answerSeenAt == nil { t.answerSeenAt = now }
                guard t.request.timeouts.idle > 0 else { continue }
                deadline = max(t.lastByteAt, t.answerSeenAt ?? now) + t.request.timeouts.idle
                failure = .idleTimeout
            } else {
                guard t.request.timeouts.firstToken > 0 else { continue }
                deadline = t.startedAt + t.request.timeouts.firstToken
                failure = .firstTokenTimeout
            }
            if now >= deadline {
                finish(t, failure)
            } else {
                wait = min(wait, (deadline - now) * 1000)
            }
        }
        return max(1, Int(saturating: wait.rounded(.up)))
    }
}
