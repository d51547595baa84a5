import Testing
@testable import RouterCore

@Suite struct BackoffTests {
    @Test(arguments: [(1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0), (5, 4.0), (6, 8.0), (7, 8.0), (30, 8.0)])
    func nominalTable(retry: Int, expected: Double) {
        #expect(Backoff.standard.nominal(retry: retry) == expected)
    }

    @Test func jitterStaysInTheUpperHalf() {
        var rng = SeededRandom(seed: 42)
        for retry in 1...8 {
            let d = Backoff.standard.nominal(retry: retry)
            for _ in 0..<200 {
                let x = Backoff.standard.delay(retry: retry, using: &rng)
                #expect(x >= d / 2 && x <= d)
            }
        }
    }

    @Test func sameSeedSameDelays() {
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7)
        let xs = (1...5).map { Backoff.standard.delay(retry: $0, using: &a) }
        let ys = (1...5).map { Backoff.standard.delay(retry: $0, using: &b) }
        #expect(xs == ys)
    }
}

@Suite struct RetryAfterTests {
    let now = 784_111_777.0 // Sun, 06 Nov 1994 08:49:37 GMT

    @Test func seconds() {
        #expect(RetryAfter.seconds("120", now: now) == 120)
        #expect(RetryAfter.seconds(" 0 ", now: now) == 0)
        #expect(RetryAfter.seconds("1.5", now: now) == 1.5)
        // Header values arrive with CRLF, which Swift keeps as a single Character.
        #expect(RetryAfter.seconds("7\r\n", now: now) == 7)
        #expect("\r\n x \r\n".trimmingWhitespace() == "x")
    }

    @Test(arguments: ["Sun, 06 Nov 1994 08:50:07 GMT", "Sunday, 06-Nov-94 08:50:07 GMT", "Sun Nov  6 08:50:07 1994"])
    func httpDates(_ value: String) {
        #expect(RetryAfter.seconds(value, now: now) == 30)
    }

    @Test func pastDateMeansNoWait() {
        #expect(RetryAfter.seconds("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == 0)
    }

    @Test(arguments: ["", "soon", "-5", "Sun, 32 Nov 1994 08:50:07 GMT", "Sun, 06 Foo 1994 08:50:07 GMT"])
    func unreadable(_ value: String) {
        #expect(RetryAfter.seconds(value, now: now) == nil)
    }

    @Test func epochArithmetic() {
        #expect(RetryAfter.daysFromCivil(1970, 1, 1) == 0)
        #expect(RetryAfter.daysFromCivil(2000, 3, 1) == 11017)
    }
}
