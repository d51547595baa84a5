import Testing
@testable import RouterCore

@Suite struct HTTPHeaderTests {
    @Test func namesMatchIgnoringTheCaseOfLettersOnly() {
        let head = HTTPHead(status: 429, headers: [("Content-Type", "text/event-stream"), ("RETRY-after", "7")])
        #expect(head.header("content-type") == "text/event-stream")
        #expect(head.header("Retry-After") == "7")
        #expect(head.header("retry-afte") == nil)
        #expect(head.header("x-missing") == nil)
        // Only letters fold: '[' and '{' differ by the same bit as 'A' and 'a'.
        #expect(!sameHeaderName("x[", "x{"))
        #expect(!sameHeaderName("a@", "a`"))
        #expect(sameHeaderName("X-Request-ID", "x-request-id"))
        #expect(!sameHeaderName("é", "É"))
    }
}
