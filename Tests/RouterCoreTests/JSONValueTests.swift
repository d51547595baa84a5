import Testing
@testable import RouterCore

@Suite struct JSONValueTests {
    @Test func roundTrip() throws {
        let text = #"{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"d\"e\\f\n\u0001"},"ü":"日本"}"#
        let v = try JSONValue.parse(text)
        #expect(v["a"]?[1]?.double == 2.5)
        #expect(v["a"]?[2]?.double == -300)
        #expect(v["b"]?["c"]?.string == "d\"e\\f\n\u{01}")
        #expect(v["ü"]?.string == "日本")
        #expect(try JSONValue.parse(v.serialized()) == v)
    }

    @Test func surrogatePairs() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00""#).string == "😀")
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#""\ud83d""#) }
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "tru", "\"abc", "{} x", "[\"\u{01}\"]", "nul"])
    func rejects(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func stringsWithAndWithoutEscapesAsciiOrNot() throws {
        #expect(try JSONValue.parse(#""plain ascii""#).string == "plain ascii")
        #expect(try JSONValue.parse(#""tab\tthen ascii""#).string == "tab\tthen ascii")
        #expect(try JSONValue.parse(#""é then \u00e9""#).string == "é then é")
        #expect(try JSONValue.parse(#""\u00e9 only escaped""#).string == "é only escaped")
        // Invalid UTF-8 is refused on both paths: before an escape and after one.
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0x61, 0xC3, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0x5C, 0x6E, 0xE2, 0x82, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }
    }

    /// The word-at-a-time scan must escape exactly what a byte-by-byte writer
    /// escapes, wherever the special byte falls within a word.
    @Test func escapingMatchesAByteByByteWriter() throws {
        func reference(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                case "\u{2028}": out += "\\u2028"
                case "\u{2029}": out += "\\u2029"
                default:
                    if scalar.value < 0x20 {
                        out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
        let pieces = ["a", "plain", "\"", "\\", "\n", "\u{01}", "\u{1F}", " ", "\u{7F}", "é", "€", "\u{2028}", "\u{2029}", "✓", "😀", "\t"]
        var rng = SeededRandom(seed: 7)
        for _ in 0..<2000 {
            var s = ""
            for _ in 0..<Int(rng.next() % 24) { s += pieces[Int(rng.next() % UInt64(pieces.count))] }
            #expect(JSONValue.string(s).serialized() == reference(s), "\(Array(s.utf8))")
            #expect(try JSONValue.parse(JSONValue.string(s).serialized()).string == s)
        }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(String(repeating: "[", count: 1000)) }
    }

    @Test func integersSerializeWithoutFraction() {
        #expect(JSONValue.number(3).serialized() == "3")
        #expect(JSONValue.number(.infinity).serialized() == "null")
        #expect(JSONValue.object([("k", 1.5)]).serialized() == #"{"k":1.5}"#)
    }

    @Test(arguments: [(1.86e-05, "0.0000186"), (5.300000000000001e-06, "0.0000053"), (0.1 + 0.2, "0.3"),
                      (3.22289156626506e-06, "0.00000322289156626506"), (-0.25, "-0.25"), (12.345678, "12.345678")])
    func fractionsSerializeAsDecimalsWithoutFloatNoise(_ x: Double, _ text: String) throws {
        #expect(JSONValue.number(x).serialized() == text)
        // Fifteen significant digits survive the trip back.
        let back = try #require(try JSONValue.parse(text).double)
        #expect(abs(back - x) <= abs(x) * 1e-14)
    }

    @Test func extremeNumbersStayValidJSON() throws {
        for x in [1e300, -1e-300, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 1e15 + 0.5, 123456789012.345] {
            let text = JSONValue.number(x).serialized()
            let back = try #require(try JSONValue.parse(text).double, "\(text)")
            #expect(abs(back - x) <= abs(x) * 1e-14, "\(text)")
        }
    }
}
