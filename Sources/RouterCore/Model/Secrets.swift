import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The API keys this process knows, so that no text it prints or stores can
/// carry one: a provider that echoes the key in its error body, a model that
/// repeats it, a message built from either. Every write to stdout, stderr and
/// the state database passes through `redact`.
public enum Secrets {
    /// Keys shorter than this are not searched for: they would match ordinary text.
    public static let shortest = 8

    private static let known = Mutex<[[UInt8]]>([])

    /// Adds a key's value to those redacted from now on.
    public static func register(_ key: String) {
        let bytes = Array(key.utf8)
        guard bytes.count >= shortest else { return }
        known.withLock { keys in
            if !keys.contains(bytes) {
                keys.append(bytes)
                // Longest first: a key that contains another is replaced whole.
                keys.sort { $0.count > $1.count }
            }
        }
    }

    /// Forgets every key (tests).
    public static func reset() {
        known.withLock { $0.removeAll() }
    }

    /// How a key is shown in its place: `sk-…abcd` (the first three and last four
    /// characters) for a key of 16 characters or more, else `[key]`.
    public static func mask(_ key: [UInt8]) -> String {
        let text = String(decoding: key, as: UTF8.self)
        guard text.count >= 16 else { return "[key]" }
        return String(text.prefix(3)) + "…" + String(text.suffix(4))
    }

    /// `text` with every known key replaced by its mask. Text with no key in
    /// it (nearly all of it: every streamed piece of every answer) is searched
    /// in place and returned as it is, without a copy.
    public static func redact(_ text: String) -> String {
        let keys = known.withLock { $0 }
        guard !keys.isEmpty, contains(keys, in: text) else { return text }
        var bytes = Array(text.utf8)
        for key in keys {
            let replacement = Array(mask(key).utf8)
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var start = 0
            while let h = bytes.withUnsafeBytes({ find(key, in: $0, from: start) }) {
                out.append(contentsOf: bytes[start..<h])
                out.append(contentsOf: replacement)
                start = h + key.count
            }
            out.append(contentsOf: bytes[start...])
            bytes = out
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// How many bytes at the end of `text` could be the start of a known key
    /// (a proper prefix of one): text written in pieces holds them back until
    /// the next piece says whether a key follows. 0 when none could.
    public static func pendingKeyPrefix(_ text: String) -> Int {
        let keys = known.withLock { $0 }
        guard !keys.isEmpty else { return 0 }
        var text = text
        return text.withUTF8 { t -> Int in
            var longest = 0
            for key in keys {
                // Longest first: the earliest start in the last key.count - 1 bytes.
                for start in max(0, t.count - key.count + 1)..<t.count where t.count - start > longest {
                    guard t[start] == key[0] else { continue }
                    let n = t.count - start
                    if memcmp(t.baseAddress! + start, key, n) == 0 {
                        longest = n
                        break
                    }
                }
            }
            return longest
        }
    }

    /// Whether `text` holds any known key.
    public static func contains(in text: String) -> Bool {
        contains(known.withLock { $0 }, in: text)
    }

    private static func contains(_ keys: [[UInt8]], in text: String) -> Bool {
        var text = text
        // Native strings are contiguous UTF-8: searched where they lie.
        return text.withUTF8 { utf8 in
            let raw = UnsafeRawBufferPointer(utf8)
            return keys.contains { find($0, in: raw, from: 0) != nil }
        }
    }

    /// The first offset at or after `from` where `needle` starts in `haystack`:
    /// memchr to the next candidate first byte, then a compare.
    private static func find(_ needle: [UInt8], in h: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard let head = needle.first, from <= h.count - needle.count, let base = h.baseAddress else { return nil }
        return needle.withUnsafeBytes { n -> Int? in
            guard let nb = n.baseAddress else { return nil }
            var i = from
            let last = h.count - n.count
            while i <= last {
                guard let hit = memchr(base + i, Int32(head), last - i + 1) else { return nil }
                let at = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + at, nb, n.count) == 0 { return at }
                i = at + 1
            }
            return nil
        }
    }
}
