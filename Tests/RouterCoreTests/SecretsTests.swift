import Testing
@testable import RouterCore

/// Keys never survive into text llmr prints or stores. The keys are the
/// whole test process's, and other suites run beside this one with keys of
/// their own registered: no test here resets them, and each uses its own key.
@Suite(.serialized) struct SecretsTests {
    @Test func aRegisteredKeyIsMaskedWhereverItStands() {
        Secrets.register("sk-proj-abcdefghijklmnop1234")
        #expect(Secrets.redact("Incorrect API key provided: sk-proj-abcdefghijklmnop1234.") == "Incorrect API key provided: sk-…1234.")
        #expect(Secrets.redact("sk-proj-abcdefghijklmnop1234sk-proj-abcdefghijklmnop1234") == "sk-…1234sk-…1234")
        #expect(Secrets.redact("nothing here") == "nothing here")
        #expect(!Secrets.contains(in: Secrets.redact("x sk-proj-abcdefghijklmnop1234 y")))
    }

    @Test func aShortKeyIsMaskedWhole() {
        Secrets.register("short-key1")
        #expect(Secrets.redact("key=short-key1;") == "key=[key];")
    }

    @Test func keysTooShortToFindSafelyAreNotSearched() {
        Secrets.register("abc")
        #expect(Secrets.redact("abcabc") == "abcabc")
    }

    @Test func aKeyInsideAnotherIsReplacedWithTheLongerOne() {
        Secrets.register("secret-12345678")
        Secrets.register("my-secret-12345678-and-more")
        #expect(Secrets.redact("[my-secret-12345678-and-more]") == "[my-…more]")
    }

    @Test func multibyteTextAroundAKeySurvives() {
        Secrets.register("ключ-секрет-1234")
        #expect(Secrets.redact("« ключ-секрет-1234 » ✓") == "« клю…1234 » ✓")
    }
}

/// Text written in pieces: the same suite, since the keys are the whole process's.
extension SecretsTests {
    static let key = "sk-stream-0123456789abcdef"

    /// Every way of cutting a text with a key in it into two or three pieces
    /// writes no key, and loses and reorders nothing but the key itself.
    @Test func aKeySplitAcrossPiecesIsRedactedWhereverItIsCut() {
        Secrets.register(Self.key)
        let text = "before \(Self.key) middle é \(Self.key)after"
        let whole = Secrets.redact(text)
        let bytes = Array(text.utf8)
        for i in 0...bytes.count {
            for j in i...min(bytes.count, i + 40) {
                // Pieces cut inside a character are not text; the writers never make them.
                let pieces = [bytes[0..<i], bytes[i..<j], bytes[j...]].compactMap { String(validating: $0, as: UTF8.self) }
                guard pieces.count == 3 else { continue }
                var r = StreamRedactor()
                var out = ""
                for piece in pieces { out += r.feed(piece) }
                out += r.flush()
                #expect(!out.contains(Self.key), "cut at \(i), \(j)")
                #expect(out == whole, "cut at \(i), \(j)")
            }
        }
    }

    @Test func textThatOnlyLooksLikeAKeysStartIsHeldThenWritten() {
        Secrets.register(Self.key)
        var r = StreamRedactor()
        #expect(r.feed("the prefix sk-str") == "the prefix ")
        #expect(r.isHolding)
        #expect(r.feed("ong wind") == "sk-strong wind")
        #expect(!r.isHolding)
        #expect(r.feed("ends with sk-") == "ends with ")
        #expect(r.flush() == "sk-")
    }
}
