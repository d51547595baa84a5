/// The result of one attempt, with the answer text it produced.
struct AttemptOutcome: Sendable {
    var record: AttemptRecord
    var text: TextBuffer
    /// Bytes of `text` reported live during this attempt (all of it, or none).
    var delivered: Int
    /// The answer as JSON, when the request has a schema and it validated.
    var output: JSONValue? = nil
}

/// What a streamed answer has produced so far.
struct StreamProgress {
    /// Kept only when the text is not streamed to the user (who keeps it then).
    var keepText = true
    var text = TextBuffer()
    var usage: Usage?
    var finish: Finish?
    var sawEnd = false
    /// The end was Gemini's finishReason without token counts: they may follow.
    var usageMayFollow = false
    /// Bytes of answer text this attempt produced, shown or kept.
    var textBytes = 0
    var firstTextAt: Double?

    /// Applies one event; returns the failure it means, if it means one.
    mutating func apply(_ event: StreamEvent, at now: Double) -> (Outcome, String)? {
        switch event {
        case .text(let t):
            if firstTextAt == nil { firstTextAt = now }
            textBytes += t.utf8.count
            if keepText { text.append(t) }
        case .usage(let u): usage = u
        case .finish(let f): finish = f
        case .end: sawEnd = true
        case .endUnlessUsageFollows:
            sawEnd = true
            usageMayFollow = usage == nil || usage?.outputTokens == 0
        case .error(let e): return (.streamError, "\(e.kind.rawValue): \(e.message)")
        case .malformed(let m): return (.malformed, m)
        }
        return nil
    }
}

extension Router {
    /// Largest error body kept for classification; the rest is read and dropped.
    static let errorBodyLimit = 64 * 1024
    /// How long a whole answer's stream is read on for token counts that may follow its end.
    static let usageGrace = 0.3

    /// One attempt on one candidate: send, read, classify.
    /// `continuing`: the text the user saw, which the request asks the server to
    /// continue; what the server repeats of it is dropped (`ContinuationFilter`),
    /// `restarted` is called if it started over instead, and an empty reply is
    /// a finished answer rather than a failure.
    /// `textArrived`, when given, is told when the bytes of each piece of answer
    /// text reached the transport (the transport's clock, else `clock`), before
    /// the piece is observed: `bench` times chunks by it.
    func attempt(_ c: Candidate, request: ChatRequest, live: Bool, continuing shownText: String? = nil,
                 restarted: () -> Void = {}, textArrived: ((Double) -> Void)? = nil,
                 observe: (RouterEvent) -> Void) async -> AttemptOutcome {
        let continuing = shownText != nil
        var record = AttemptRecord(provider: c.provider.name, model: c.model.name, modelID: c.model.id, tier: c.tier, outcome: .ok)
        let key: String?
        switch keys.key(for: c.provider) {
        case .key(let k): key = k
        case .notNeeded: key = nil
        case .missing(let why):
            record.outcome = .noKey
            record.message = why
            return AttemptOutcome(record: record, text: TextBuffer(), delivered: 0)
        }
        guard let wire = wires[c.provider.api] else {
            record.outcome = .unsupported
            record.message = "this build of llmr does not speak the \(c.provider.api.rawValue) API"
            return AttemptOutcome(record: record, text: TextBuffer(), delivered: 0)
        }
        let http = wire.makeRequest(request.sent(to: c.provider), modelID: c.model.id, provider: c.provider, key: key, stream: c.provider.stream)
        let start = clock.now()
        var head: HTTPHead?
        var errorBody: [UInt8] = []
        var whole: [UInt8] = []
        var decoder: (any StreamDecoder)?
        // An answer that must validate is kept to be validated, even when streamed (bench times it).
        var progress = StreamProgress(keepText: !live || request.schema != nil)
        var delivered = 0
        var failure: (Outcome, String?)?
        var errorKind: ProviderError.Kind?
        var filter = shownText.map { ContinuationFilter(shown: $0) }
        var arrival: () -> Double? = { nil }

        /// What of `text` reaches the answer, through the continuation filter when continuing.
        func fit(_ text: String, last: Bool) -> String {
            guard var f = filter else { return text }
            var out = ""
            for piece in [f.feed(text)] + (last ? [f.finish()] : []) {
                switch piece {
                case .text(let t): out += t
                case .restart(let t):
                    restarted()
                    out += t
                }
            }
            filter = f
            return out
        }

        /// Applies a batch of events; the batch's text reaches the user as one delta.
        func consume(_ events: [StreamEvent]) -> (Outcome, String)? {
            var batch = ""
            defer {
                if live, !batch.isEmpty {
                    textArrived?(arrival() ?? clock.now())
                    observe(.delta(batch))
                    delivered += batch.utf8.count
                }
            }
            for var event in events {
                // The end marker ends the answer: whatever follows it is not part
                // of it, but for the token counts that may come after Gemini's.
                if progress.sawEnd {
                    guard progress.usageMayFollow else { break }
                    if case .usage(let u) = event {
                        progress.usage = u
                        progress.usageMayFollow = false
                    }
                    continue
                }
                if event == .end || event == .endUnlessUsageFollows, filter != nil {
                    // What the continuation still held back, if it is news.
                    let rest = fit("", last: true)
                    if !rest.isEmpty {
                        batch += rest
                        _ = progress.apply(.text(rest), at: clock.now())
                    }
                }
                if case .text(let t) = event {
                    let kept = fit(t, last: false)
                    if kept.isEmpty { continue }
                    event = .text(kept)
                    batch += kept
                }
                let hadToken = progress.firstTextAt != nil
                if let f = progress.apply(event, at: clock.now()) { return f }
                if !hadToken, progress.firstTextAt != nil { observe(.firstToken) }
            }
            return nil
        }

        let response = transport.send(http)
        arrival = { response.lastArrival }
        var answerBegan = false
        var graceAsked = false
        do {
            reading: for try await event in response {
                switch event {
                case .head(let h):
                    head = h
                    if (200..<300).contains(h.status) {
                        // A server that ignores `stream: true` answers with one JSON document.
                        let type = h.header("content-type")?.lowercased() ?? ""
                        if c.provider.stream, !type.contains("application/json") { decoder = wire.makeStreamDecoder() }
                    }
                    // An error body or a whole JSON answer has no first token to wait for.
                    if decoder == nil {
                        response.answerBegan()
                        answerBegan = true
                    }
                case .body(let bytes):
                    guard let h = head, (200..<300).contains(h.status) else {
                        let room = Self.errorBodyLimit - errorBody.count
                        if room > 0 { errorBody.append(contentsOf: bytes.prefix(room)) }
                        continue
                    }
                    if let decoder {
                        if let f = consume(decoder.feed(bytes)) {
                            failure = f
                            break reading
                        }
                        // Done: a server that keeps the connection open after its end marker is not waited for,
                        // but for a short grace period when the token counts may still come.
                        if progress.sawEnd {
                            guard progress.usageMayFollow else { break reading }
                            if !graceAsked {
                                graceAsked = true
                                response.end(within: Self.usageGrace)
                            }
                        }
                        if !answerBegan, progress.firstTextAt != nil {
                            response.answerBegan()
                            answerBegan = true
                        }
                    } else {
                        whole.append(contentsOf: bytes)
                    }
                }
            }
        } catch let f as TransportFailure {
            // After the end, a stream that ends otherwise (the grace period ran out) lost nothing.
            if !progress.sawEnd { failure = Self.outcome(of: f) }
        } catch {
            if !progress.sawEnd { failure = (.dropped, "\(error)") }
        }
        if Task.isCancelled, failure == nil || failure?.0 == .dropped { failure = (.interrupted, "interrupted by the user") }

        if failure == nil {
            if let h = head, !(200..<300).contains(h.status) {
                let e = wire.classify(status: h.status, body: errorBody)
                errorKind = e.kind
                failure = (.http(h.status), "\(e.kind.rawValue): \(e.message)")
            } else if head == nil {
                failure = (.dropped, "the server closed the connection without answering")
            } else if let decoder {
                if progress.sawEnd {
                    // Ended by its marker; what the decoder still holds came after it.
                } else if let f = consume(decoder.finish()) {
                    failure = f
                } else if !progress.sawEnd {
                    failure = (.truncated, "the stream ended without its end marker")
                }
            } else {
                switch wire.decodeWhole(whole) {
                case .success(let answer):
                    let text = fit(answer.text, last: true)
                    progress.usage = answer.usage
                    progress.finish = answer.finish
                    progress.textBytes = text.utf8.count
                    progress.firstTextAt = clock.now()
                    observe(.firstToken)
                    if live {
                        if !text.isEmpty {
                            textArrived?(arrival() ?? clock.now())
                            observe(.delta(text))
                        }
                        delivered += text.utf8.count
                    } else {
                        progress.text.append(text)
                    }
                case .failure(let e):
                    // Unreadable is malformed; an error the provider reported in a 200 is its own outcome.
                    failure = e.kind == .other ? (.malformed, e.message) : (.streamError, "\(e.kind.rawValue): \(e.message)")
                }
            }
        }

        let end = clock.now()
        record.status = head?.status
        record.latencyMs = Self.ms(end - start)
        record.ttftMs = progress.firstTextAt.map { Self.ms($0 - start) }
        if let value = head?.header("retry-after") {
            record.retryAfterS = RetryAfter.seconds(value, now: clock.wallTime())
        }
        if let head { record.holdS = RateLimitHeaders.hold({ head.header($0) }, now: clock.wallTime()) }
        // An answer with no text at all is no answer: the next candidate gets the request.
        if failure == nil, progress.textBytes == 0, !continuing {
            failure = (.empty, "the provider answered with no text" + (progress.finish.map { " (finish reason \($0.raw))" } ?? ""))
        }
        record.finish = progress.finish
        // What the provider will bill: its own count, else an estimate for any attempt that produced text.
        record.usage = progress.usage ?? (progress.textBytes > 0 ? Usage.estimate(prompt: request, answerBytes: progress.textBytes) : nil)
        var output: JSONValue?
        if failure == nil, let schema = request.schema {
            switch schema.check(progress.text.joined) {
            case .success(let (value, json)):
                output = value
                progress.text = TextBuffer()
                progress.text.append(json)
                // A forced tool's call is how such an answer ends (structured_output: tool).
                if record.finish?.reason == .toolCalls, c.provider.structuredOutput == .tool, let raw = record.finish?.raw {
                    record.finish = Finish(.stop, raw: raw)
                }
            case .failure(let problem):
                failure = (.invalidOutput, problem.message)
            }
        }
        if let (outcome, message) = failure {
            record.outcome = outcome
            record.message = message
            record.errorKind = errorKind
        } else {
            record.outcome = .ok
        }
        return AttemptOutcome(record: record, text: progress.text, delivered: delivered, output: output)
    }

    /// The outcome a transport failure stands for.
    public static func outcome(of failure: TransportFailure) -> (Outcome, String?) {
        switch failure {
        case .connectionRefused(let m): return (.connect, m)
        case .resolve(let m): return (.dns, m)
        case .tls(let m): return (.tls, m)
        case .connectTimeout: return (.connectTimeout, "no connection within connect_timeout")
        case .firstTokenTimeout: return (.firstTokenTimeout, "no answer within first_token_timeout")
        case .idleTimeout: return (.idleTimeout, "the stream went silent for longer than idle_timeout")
        case .totalTimeout: return (.timeout, "the attempt took longer than its timeout")
        case .dropped(let m): return (.dropped, m)
        case .other(let m): return (.dropped, m)
        }
    }
}
