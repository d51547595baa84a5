import Testing
@testable import RouterCore

@Suite struct RateLimitTests {
    let w = RateWindow(key: "p", limit: RateLimit(requests: 3, tokens: 1000, per: 60))

    @Test func aWindowWithRoomGrantsNothingToReport() {
        #expect(RateRule.check(w, sends: [(10, 100), (20, 100)], tokens: 100, now: 30) == nil)
    }

    @Test func aFullWindowSaysWhenTheOldestSendThatMakesRoomLeaves() {
        let full = RateRule.check(w, sends: [(10, 1), (20, 1), (25, 1)], tokens: 1, now: 30)
        guard case .full(_, let readyAt, let why)? = full else { Issue.record("\(String(describing: full))"); return }
        #expect(readyAt == 70)
        #expect(why.contains("3 requests per 1m"))
    }

    @Test func tokensFreeAsTheOldestSendsLeave() {
        let w = RateWindow(key: "p", limit: RateLimit(tokens: 1000, per: 60))
        // 900 used; 300 more needs the first (400) gone: at 10 + 60. 700 more needs the first two gone: at 20 + 60.
        let full = RateRule.check(w, sends: [(10, 400), (20, 300), (25, 200)], tokens: 300, now: 30)
        guard case .full(_, let readyAt, _)? = full else { Issue.record("\(String(describing: full))"); return }
        #expect(readyAt == 70)
        guard case .full(_, let later, _)? = RateRule.check(w, sends: [(10, 400), (20, 300), (25, 200)], tokens: 700, now: 30) else {
            Issue.record("700 fit"); return
        }
        #expect(later == 80)
        // A request larger than the window alone never fits.
        guard case .full(_, let never, let why)? = RateRule.check(w, sends: [], tokens: 1001, now: 0) else { Issue.record("fit"); return }
        #expect(never == .infinity)
        #expect(why.contains("more than"))
    }

    @Test(arguments: [("1s", 1.0), ("6m0s", 360), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0.5", 0.5), ("59.9s", 59.9)])
    func openAIResetDurations(_ text: String, _ seconds: Double) {
        #expect(abs((RateLimitHeaders.duration(text) ?? -1) - seconds) < 1e-9)
    }

    @Test(arguments: ["", "s", "1x", "-1s", "1s2", "abc"])
    func badDurationsAreNil(_ text: String) {
        #expect(RateLimitHeaders.duration(text) == nil || text == "1s2")
    }

    @Test func remainingZeroHoldsUntilTheReset() {
        let openai = ["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s",
                      "x-ratelimit-remaining-tokens": "12000", "x-ratelimit-reset-tokens": "1s"]
        #expect(RateLimitHeaders.hold({ openai[$0] }, now: 0) == 360)
        let anthropic = ["anthropic-ratelimit-tokens-remaining": "0", "anthropic-ratelimit-tokens-reset": "2026-12-03T11:00:30Z"]
        let now = RetryAfter.rfc3339("2026-12-03T11:00:00Z")!
        #expect(RateLimitHeaders.hold({ anthropic[$0] }, now: now) == 30)
        // Remaining above 0, or a reset in the past: no hold.
        let fine = ["x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "1s"]
        #expect(RateLimitHeaders.hold({ fine[$0] }, now: 0) == nil)
        #expect(RateLimitHeaders.hold({ anthropic[$0] }, now: now + 60) == nil)
        // An absurd reset is held for at most two days, like a Retry-After.
        let far = ["x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "99999999h"]
        #expect(RateLimitHeaders.hold({ far[$0] }, now: 0) == RetryAfter.limit)
    }

    @Test(arguments: [("2026-12-03T11:00:00Z", 1_796_295_600.0), ("2026-12-03T12:00:00+01:00", 1_796_295_600), ("2026-12-03T11:00:00.5Z", 1_796_295_600.5)])
    func rfc3339Times(_ text: String, _ epoch: Double) {
        #expect(RetryAfter.rfc3339(text) == epoch)
    }

    @Test(arguments: ["2026-13-03T11:00:00Z", "2026-12-03 11:00:00Z", "2026-12-03T11:00:00", "garbage", "2026-12-03T11:00:00+0100"])
    func badRFC3339IsNil(_ text: String) {
        #expect(RetryAfter.rfc3339(text) == nil)
    }

    @Test func aHeldCandidateWaitsWithoutAnAttemptAndAFarOneIsGivenUp() {
        var walk = FallbackWalk(candidates: 2, retries: 0, maxAttempts: 8, maxRetryWait: 30)
        let held = walk.hold(0, until: 20, now: 0)
        #expect(held)
        // The fresh candidate goes first; then the walk waits for the held one.
        #expect(walk.next(now: 0) == .attempt(1))
        var rng = SeededRandom(seed: 1)
        walk.record(candidate: 1, outcome: .http(500), retryAfter: nil, now: 1, using: &rng)
        #expect(walk.next(now: 1) == .wait(until: 20, candidate: 0))
        #expect(walk.next(now: 20) == .attempt(0))
        #expect(walk.totalAttempts == 1)
        var far = FallbackWalk(candidates: 1, retries: 0, maxAttempts: 8, maxRetryWait: 30)
        let farHeld = far.hold(0, until: 31, now: 0)
        #expect(!farHeld)
        #expect(far.next(now: 0) == .finished)
    }

    @Test func limitsAreReadAndBadOnesRefusedWithTheirPlace() throws {
        let c = try ConfigLoader.load(yaml: """
            providers:
              p: {api: openai, base_url: http://x/v1, limits: {requests: 500, tokens: 200000, per: 1m}}
            models:
              m: {provider: p, id: m-1, limits: {requests: 50, per: 1m}}
            """, source: "c.yaml")
        #expect(c.provider(named: "p")?.limits == RateLimit(requests: 500, tokens: 200000, per: 60))
        #expect(c.model(named: "m")?.limits == RateLimit(requests: 50, per: 60))
        for (bad, says) in [("{requests: 0, per: 1m}", "requests"), ("{per: 1m}", "need 'requests' or 'tokens'"),
                            ("{requests: 5}", "need 'per'"), ("{requests: 5, per: 400d}", "per"), ("{requests: 5, per: 1m, burst: 2}", "burst")] {
            #expect(throws: ConfigError.self) {
                _ = try ConfigLoader.load(yaml: "providers:\n  p: {api: openai, base_url: http://x/v1, limits: \(bad)}\n", source: "c.yaml")
            }
            do {
                _ = try ConfigLoader.load(yaml: "providers:\n  p: {api: openai, base_url: http://x/v1, limits: \(bad)}\n", source: "c.yaml")
            } catch {
                #expect(error.description.contains("c.yaml:2:"), "\(error)")
                #expect(error.description.contains(says), "\(error)")
            }
        }
    }
}
