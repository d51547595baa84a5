import Testing
@testable import RouterCore

@Suite struct BreakerTests {
    let breaker = Breaker(config: BreakerConfig(failures: 5, window: 60, openFor: 300), probeTimeout: 120)

    func fail(_ r: BreakerRecord?, failures: Int, at now: Double, owner: String = "me") -> BreakerRecord? {
        breaker.after(r, provider: "p", succeeded: false, failedNow: true, failuresInWindow: failures, owner: owner, now: now)
    }

    @Test func fourFailuresKeepItClosedTheFifthOpensIt() throws {
        var r: BreakerRecord?
        for n in 1...4 {
            r = fail(r, failures: n, at: Double(n))
            #expect(breaker.view(r, now: Double(n)) == .closed)
        }
        r = fail(r, failures: 5, at: 5)
        #expect(breaker.view(r, now: 5) == .open(until: 305))
        #expect(breaker.view(r, now: 304.9) == .open(until: 305))
    }

    /// The window a store counts failures in starts `window` ago; that the
    /// count slides with it is the stores' part (StorePortConformanceTests).
    @Test func theWindowStartsAWindowAgo() {
        #expect(breaker.windowStart(nil, now: 61) == 1)
        #expect(breaker.windowStart(nil, now: 60) == 0)
        // Four failures counted in the window are not enough.
        #expect(fail(nil, failures: 4, at: 61) == nil)
    }

    @Test func failuresBeforeTheBreakerClosedDoNotCount() {
        let closed = BreakerRecord(provider: "p", state: .closed, closedAt: 100)
        #expect(breaker.windowStart(closed, now: 120) == 100)
    }

    @Test func afterOpenForExactlyOneProbe() throws {
        let open = try #require(fail(nil, failures: 5, at: 0))
        #expect(breaker.view(open, now: 300) == .probeAvailable)
        var claimed = open
        claimed.probeOwner = "me"
        claimed.probeStarted = 300
        #expect(breaker.view(claimed, now: 301) == .probing(since: 300))
        // A probe whose process vanished is given up after probeTimeout.
        #expect(breaker.view(claimed, now: 420) == .probeAvailable)
    }

    @Test func theProbesSuccessClosesIt() throws {
        var r = try #require(fail(nil, failures: 5, at: 0))
        r.probeOwner = "me"
        r.probeStarted = 300
        let after = breaker.after(r, provider: "p", succeeded: true, failedNow: false, failuresInWindow: 5, owner: "me", now: 301)
        #expect(after == BreakerRecord(provider: "p", state: .closed, closedAt: 301))
        #expect(breaker.view(after, now: 301) == .closed)
        #expect(breaker.windowStart(after, now: 302) == 301) // the old failures no longer count
    }

    @Test func theProbesFailureOpensItAgain() throws {
        var r = try #require(fail(nil, failures: 5, at: 0))
        r.probeOwner = "me"
        r.probeStarted = 300
        let after = fail(r, failures: 6, at: 302)
        #expect(breaker.view(after, now: 302) == .open(until: 602))
        #expect(after?.probeOwner == nil)
    }

    @Test func someoneElsesResultDoesNotTouchAnOpenBreaker() throws {
        var r = try #require(fail(nil, failures: 5, at: 0))
        r.probeOwner = "prober"
        r.probeStarted = 300
        #expect(breaker.after(r, provider: "p", succeeded: true, failedNow: false, failuresInWindow: 0, owner: "other", now: 301) == r)
        #expect(fail(r, failures: 9, at: 301, owner: "other") == r)
    }

    @Test(arguments: [Outcome.http(500), .http(503), .http(529), .connect, .timeout, .idleTimeout, .truncated, .dropped, .malformed, .streamError])
    func troubleCounts(outcome: Outcome) {
        #expect(Breaker.countsAsFailure(outcome))
    }

    @Test(arguments: [Outcome.ok, .http(400), .http(401), .http(404), .http(429), .noKey, .unsupported])
    func ourOwnMistakesAndRateLimitsDoNot(outcome: Outcome) {
        #expect(!Breaker.countsAsFailure(outcome))
    }

    @Test func availabilityFromASnapshot() throws {
        let open = try #require(fail(nil, failures: 5, at: 0))
        let health = HealthSnapshot(breakers: ["p": open], cooldowns: ["q": 50])
        #expect(breaker.availability(provider: "p", modelID: "m", in: health, now: 10) == .breakerOpen("provider breaker open for 290s more"))
        #expect(breaker.availability(provider: "p", modelID: "m", in: health, now: 300) == .probe)
        #expect(breaker.availability(provider: "q", modelID: "m", in: health, now: 10) == .coolingDown(until: 50))
        #expect(breaker.availability(provider: "q", modelID: "m", in: health, now: 50) == .available)
        #expect(breaker.availability(provider: "r", modelID: "m", in: health, now: 10) == .available)
    }

    @Test func aModelsBreakerAndCooldownHoldBackThatModelOnly() throws {
        let open = try #require(fail(nil, failures: 5, at: 0))
        let health = HealthSnapshot(breakers: ["gw/mock-500": open], cooldowns: ["gw/mock-429": 50])
        #expect(breaker.availability(provider: "gw", modelID: "mock-500", in: health, now: 10) == .breakerOpen("model breaker open for 290s more"))
        #expect(breaker.availability(provider: "gw", modelID: "mock-429", in: health, now: 10) == .coolingDown(until: 50))
        #expect(breaker.availability(provider: "gw", modelID: "mock-gpt", in: health, now: 10) == .available)
        #expect(breaker.probeKeys(provider: "gw", modelID: "mock-500", in: health, now: 300) == ["gw/mock-500"])
    }

    @Test(arguments: [(Outcome.connect, Breaker.Scope.provider), (.dns, .provider), (.tls, .provider), (.connectTimeout, .provider),
                      (.http(500), .model), (.http(503), .model), (.timeout, .model), (.firstTokenTimeout, .model),
                      (.dropped, .model), (.truncated, .model), (.malformed, .model), (.streamError, .model)])
    func transportFailuresAreTheProvidersAndAnswersTheModels(_ outcome: Outcome, _ scope: Breaker.Scope) {
        #expect(Breaker.scope(of: outcome) == scope)
    }
}
