import Testing
@testable import RouterCore

/// Numbers from outside (servers, configs, argv, the database) never trap.
@Suite struct HostileNumbersTests {
    @Test(arguments: [Double.nan, .infinity, -.infinity, 1e300, -1e300, 9.3e18, -9.3e18, 0.4, -0.6, 42.5])
    func saturatingConversionNeverTraps(_ x: Double) {
        let n = Int(saturating: x)
        if x.isNaN { #expect(n == 0) }
        if x > 1e19 { #expect(n == .max) }
        if x < -1e19 { #expect(n == .min) }
        if abs(x) < 100 { #expect(n == Int(x.rounded())) }
        _ = Int(milliseconds: x)
        #expect(UInt64(nanoseconds: x) <= .max)
    }

    @Test func nanosecondsClampToTheirRange() {
        #expect(UInt64(nanoseconds: -1) == 0)
        #expect(UInt64(nanoseconds: .nan) == 0)
        #expect(UInt64(nanoseconds: 1e300) == .max)
        #expect(UInt64(nanoseconds: 1.5) == 1_500_000_000)
    }

    @Test(arguments: [Double.nan, .infinity, -1, 0, 0.25, 9.95, 1e9, 1e19, 1e300])
    func durationFormatIsTotal(_ s: Double) {
        #expect(!DurationParser.format(s).isEmpty)
        #expect(!DurationParser.exact(s).isEmpty)
    }

    @Test func durationFormatReadsAsBefore() {
        #expect(DurationParser.format(0.25) == "250ms")
        #expect(DurationParser.format(1.5) == "1.5s")
        #expect(DurationParser.format(300) == "300s")
        #expect(DurationParser.format(1e19) == "over 30 years")
        #expect(DurationParser.exact(86_400) == "1d")
        #expect(DurationParser.exact(3600) == "1h")
        #expect(DurationParser.exact(90) == "90s")
    }

    @Test func moneyFormatIsTotal() {
        #expect(NumberText.sixDecimals(0.000301) == "0.000301")
        #expect(NumberText.sixDecimals(-1.5) == "-1.500000")
        #expect(NumberText.sixDecimals(1e13) == "10000000000000.0")
        #expect(NumberText.sixDecimals(.nan) == "nan")
        #expect(NumberText.plain(1_000_000) == "1000000")
        #expect(NumberText.plain(0.5) == "0.5")
    }

    @Test(arguments: ["1e19", "1e300", "inf", "99999999999999999999999"])
    func retryAfterIsClampedToTheLimit(_ header: String) {
        #expect(RetryAfter.seconds(header, now: 1_700_000_000) == RetryAfter.limit)
    }

    @Test(arguments: ["Sun, 06 Nov 99999999999999 08:49:37 GMT", "Sun, 06 Nov 9223372036854775807 08:49:37 GMT",
                      "Sunday, 06-Nov-9223372036854775807 08:49:37 GMT", "nan", "-5", "Sun Nov  6 08:49:37 0"])
    func absurdRetryAfterDatesAreUnreadable(_ header: String) {
        #expect(RetryAfter.seconds(header, now: 1_700_000_000) == nil)
    }

    @Test func aFarRetryAfterDateIsClamped() {
        #expect(RetryAfter.seconds("Fri, 31 Dec 9999 23:59:59 GMT", now: 1_700_000_000) == RetryAfter.limit)
    }

    @Test func aRetryAfterPastTheLimitMeansMoveOn() {
        var walk = FallbackWalk(candidates: 2, retries: 2, maxAttempts: 8, maxRetryWait: ConfigLimits.wait.upperBound)
        var rng = SeededRandom(seed: 1)
        let verdict = walk.record(candidate: 0, outcome: .http(429), retryAfter: RetryAfter.limit, now: 0, using: &rng)
        guard case .givenUp(let why) = verdict else { Issue.record("expected the candidate given up, got \(verdict)"); return }
        #expect(why.contains("max_retry_wait"))
        #expect(walk.next(now: 0) == .attempt(1))
    }
}

@Suite struct DecimalTextTests {
    @Test(arguments: [(3.22289156626506e-06, "0.00000322289"), (5.300000000000001e-06, "0.0000053"), (0.1 + 0.2, "0.3"),
                      (1234.5678, "1234.57"), (0, "0"), (-0.000012345678, "-0.0000123457"), (1e300, "1e+300"), (2, "2")])
    func costsPrintAsDecimalsWithoutFloatNoise(_ x: Double, _ text: String) {
        #expect(NumberText.decimal(x) == text)
    }

    @Test func noValueTraps() {
        for x in [Double.nan, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -1e-320, 9.2e18, 1e15] {
            _ = NumberText.decimal(x)
        }
    }
}
