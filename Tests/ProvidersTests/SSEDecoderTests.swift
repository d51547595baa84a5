import Testing
@testable import Providers

@Suite struct SSEDecoderTests {
    static let transcript = Fixture.bytes("openai/stream-basic.sse")

    func decodeAll(_ chunks: [[UInt8]]) -> [SSEEvent] {
        var d = SSEDecoder()
        var out: [SSEEvent] = []
        for c in chunks { out += d.feed(c) }
        return out + d.finish()
    }

    @Test func wholeTranscript() {
        let events = decodeAll([Self.transcript])
        #expect(events.count == 6)
        #expect(events.last?.data == "[DONE]")
    }

    @Test func splitAtEveryByteBoundary() {
        let whole = decodeAll([Self.transcript])
        for i in 0...Self.transcript.count {
            let parts = [Array(Self.transcript[0..<i]), Array(Self.transcript[i...])]
            #expect(decodeAll(parts) == whole, "split at \(i)")
        }
    }

    @Test func splitAtEveryPairOfBoundariesInCRLF() {
        let crlf = Array(String(decoding: Self.transcript, as: UTF8.self).replacingNewlines(with: "\r\n").utf8)
        let whole = decodeAll([Self.transcript])
        #expect(decodeAll([crlf]) == whole)
        for i in stride(from: 0, to: crlf.count, by: 7) {
            for j in stride(from: i, to: crlf.count, by: 13) {
                #expect(decodeAll([Array(crlf[0..<i]), Array(crlf[i..<j]), Array(crlf[j...])]) == whole)
            }
        }
    }

    @Test func oneByteAtATimeWithBareCR() {
        let cr = Array(String(decoding: Self.transcript, as: UTF8.self).replacingNewlines(with: "\r").utf8)
        #expect(decodeAll(cr.map { [$0] }) == decodeAll([Self.transcript]))
    }

    /// A property test: random texts, random line endings, random chunkings, same events.
    @Test func randomChunkingsAgree() {
        var rng = SplitMix(seed: 2026)
        for _ in 0..<300 {
            var text = ""
            var expected: [SSEEvent] = []
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let lines = (0..<Int.random(in: 1...3, using: &rng)).map { _ in String((0..<Int.random(in: 0...12, using: &rng)).map { _ in "aé😀 :{}\"x".randomElement(using: &rng)! }) }
                let ending = ["\n", "\r\n", "\r"].randomElement(using: &rng)!
                if Bool.random(using: &rng) { text += ": comment" + ending }
                for l in lines { text += "data: " + l + ending }
                text += ending
                expected.append(SSEEvent(data: lines.joined(separator: "\n")))
            }
            let bytes = Array(text.utf8)
            var chunks: [[UInt8]] = []
            var at = 0
            while at < bytes.count {
                let n = Int.random(in: 1...max(1, bytes.count - at), using: &rng)
                chunks.append(Array(bytes[at..<min(bytes.count, at + n)]))
                at += n
            }
            #expect(decodeAll(chunks) == expected)
        }
    }

    @Test func fieldRules() {
        let events = decodeAll([Array("event: message_start\ndata:no-space\ndata:  two spaces\nid: 5\nretry: 10\n\ndata\n\n\n\n".utf8)])
        #expect(events == [SSEEvent(event: "message_start", data: "no-space\n two spaces"), SSEEvent(data: "")])
    }

    @Test func unterminatedEventIsDropped() {
        #expect(decodeAll([Array("data: half".utf8)]).isEmpty)
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension String {
    func replacingNewlines(with ending: String) -> String {
        split(separator: "\n", omittingEmptySubsequences: false).joined(separator: ending)
    }
}
