import Testing
@testable import RouterCore

@Suite struct FallbackWalkTests {
    var rng = SeededRandom(seed: 1)

    func walk(_ n: Int, retries: Int = 2, maxAttempts: Int = 10, maxWait: Double = 30) -> FallbackWalk {
        FallbackWalk(candidates: n, retries: retries, maxAttempts: maxAttempts, maxRetryWait: maxWait)
    }

    @Test mutating func successFinishes() {
        var w = walk(2)
        #expect(w.next(now: 0) == .attempt(0))
        #expect(w.record(candidate: 0, outcome: .ok, retryAfter: nil, now: 0, using: &rng) == .succeeded)
    }

    @Test(arguments: [503, 500, 502, 504, 529, 429])
    func retryableStatusMovesOnAtOnceThenRetries(status: Int) {
        var rng = SeededRandom(seed: 1)
        var w = FallbackWalk(candidates: 2, retries: 2, maxAttempts: 10, maxRetryWait: 30)
        #expect(w.next(now: 0) == .attempt(0))
        guard case .retryAt(let t) = w.record(candidate: 0, outcome: .http(status), retryAfter: nil, now: 0, using: &rng) else {
            Issue.record("expected a retry")
            return
        }
        #expect(t >= 0.125 && t <= 0.25)
        // A fresh candidate beats sleeping on the failed one.
        #expect(w.next(now: 0) == .attempt(1))
        w.record(candidate: 1, outcome: .http(status), retryAfter: nil, now: 0.01, using: &rng)
        // Nothing ready now: wait for the earliest retry, which is candidate 0's.
        #expect(w.next(now: 0.01) == .wait(until: t, candidate: 0))
        #expect(w.next(now: t) == .attempt(0))
    }

    /// An answer that is not the JSON asked for is asked again of the same
    /// candidate at once (nothing to back off from), then of the next one.
    @Test mutating func invalidOutputIsAskedAgainAtOnceThenTheNextCandidate() {
        var w = walk(2, retries: 1)
        #expect(w.next(now: 0) == .attempt(0))
        #expect(w.record(candidate: 0, outcome: .invalidOutput, retryAfter: nil, now: 5, using: &rng) == .retryAt(5))
        #expect(w.next(now: 5) == .attempt(0))
        guard case .givenUp = w.record(candidate: 0, outcome: .invalidOutput, retryAfter: nil, now: 6, using: &rng) else {
            Issue.record("expected the retries to be spent")
            return
        }
        #expect(w.next(now: 6) == .attempt(1))
    }

    @Test(arguments: [Outcome.http(400), .http(401), .http(403), .http(404), .http(422), .connect, .dns, .tls])
    func neverRetriedOnTheSameTarget(outcome: Outcome) {
        var rng = SeededRandom(seed: 1)
        var w = FallbackWalk(candidates: 1, retries: 5, maxAttempts: 10, maxRetryWait: 30)
        #expect(w.next(now: 0) == .attempt(0))
        guard case .givenUp = w.record(candidate: 0, outcome: outcome, retryAfter: nil, now: 0, using: &rng) else {
            Issue.record("\(outcome) must not be retried")
            return
        }
        #expect(w.next(now: 100) == .finished)
    }

    @Test(arguments: [Outcome.timeout, .firstTokenTimeout, .idleTimeout, .dropped, .truncated, .malformed, .streamError])
    func streamAndTimeoutFailuresAreRetried(outcome: Outcome) {
        var rng = SeededRandom(seed: 1)
        var w = FallbackWalk(candidates: 1, retries: 1, maxAttempts: 10, maxRetryWait: 30)
        _ = w.next(now: 0)
        guard case .retryAt = w.record(candidate: 0, outcome: outcome, retryAfter: nil, now: 0, using: &rng) else {
            Issue.record("\(outcome) should be retried")
            return
        }
    }

    @Test mutating func retriesAreCounted() {
        var w = walk(1, retries: 2)
        var now = 0.0
        for n in 1...3 {
            guard case .attempt(0) = w.next(now: now) else {
                Issue.record("attempt \(n) expected")
                return
            }
            let v = w.record(candidate: 0, outcome: .http(503), retryAfter: nil, now: now, using: &rng)
            if n < 3 {
                guard case .retryAt(let t) = v else { Issue.record("retry expected"); return }
                now = t
            } else {
                #expect(v == .givenUp("retries spent (2)"))
            }
        }
        #expect(w.next(now: now + 100) == .finished)
        #expect(w.totalAttempts == 3)
    }

    @Test mutating func retryAfterIsAFloor() {
        var w = walk(1)
        _ = w.next(now: 10)
        #expect(w.record(candidate: 0, outcome: .http(429), retryAfter: 7, now: 10, using: &rng) == .retryAt(17))
        #expect(w.next(now: 10) == .wait(until: 17, candidate: 0))
        #expect(w.next(now: 16.999) == .wait(until: 17, candidate: 0))
        #expect(w.next(now: 17) == .attempt(0))
    }

    @Test mutating func retryAfterBeyondTheLimitGivesUp() {
        var w = walk(1, maxWait: 30)
        _ = w.next(now: 0)
        let v = w.record(candidate: 0, outcome: .http(429), retryAfter: 31, now: 0, using: &rng)
        #expect(v == .givenUp("asks to wait 31s, more than max_retry_wait 30s"))
        #expect(w.next(now: 0) == .finished)
    }

    @Test mutating func attemptCap() {
        var w = walk(5, retries: 5, maxAttempts: 3)
        for i in 0..<3 {
            #expect(w.next(now: 0) == .attempt(i))
            w.record(candidate: i, outcome: .http(503), retryAfter: nil, now: 0, using: &rng)
        }
        #expect(w.next(now: 0) == .finished)
    }

    @Test mutating func readyEarlierCandidateBeatsLaterFreshOne() {
        var w = walk(3)
        _ = w.next(now: 0)
        guard case .retryAt(let t) = w.record(candidate: 0, outcome: .http(503), retryAfter: nil, now: 0, using: &rng) else { return }
        #expect(w.next(now: 0) == .attempt(1))
        w.record(candidate: 1, outcome: .http(503), retryAfter: 20, now: t + 1, using: &rng)
        #expect(w.next(now: t + 1) == .attempt(0))
    }

    @Test func skippedCandidatesAreNeverTried() {
        var w = walk(2)
        w.skip(0)
        #expect(w.next(now: 0) == .attempt(1))
    }
}
