import Testing
@testable import RouterCore

@Suite struct TextBufferTests {
    @Test func keepsTextInFullPieces() {
        var b = TextBuffer()
        var expected = ""
        for i in 0..<20_000 {
            let word = "word\(i) é "
            b.append(word)
            expected += word
        }
        #expect(b.joined == expected)
        #expect(b.utf8Count == expected.utf8.count)
        #expect(b.pieces.dropLast().allSatisfy { $0.utf8.count > TextBuffer.pieceSize - 32 })
        #expect(b.pieces.allSatisfy { $0.utf8.count <= TextBuffer.pieceSize })
    }

    @Test func largeAppendsStandAlone() {
        var b = TextBuffer()
        b.append("a")
        b.append(String(repeating: "x", count: TextBuffer.pieceSize + 1))
        b.append("b")
        #expect(b.pieces.count == 3)
        #expect(b.joined.utf8.count == TextBuffer.pieceSize + 3)
        var empty = TextBuffer()
        empty.append("")
        #expect(empty.isEmpty && empty.pieces.isEmpty)
    }
}
