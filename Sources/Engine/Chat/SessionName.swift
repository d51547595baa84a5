import RouterCore

/// What a session may be called: a name that fits a terminal line, a file
/// name and a shell word, and never a key.
public enum SessionName {
    /// The longest name, in characters.
    public static let maxLength = 64

    /// Why `name` cannot name a session, or nil when it can. Letters, digits
    /// and `- _ . : @ +`, at most 64 characters, and none of a configured key.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "a session needs a name" }
        // Said without the name itself: it may be long, hold control characters, or be a key.
        if Secrets.contains(in: name) { return "a session name cannot hold an API key; choose another name" }
        if name.count > maxLength {
            return "a session name is at most \(maxLength) characters (this one has \(name.count))"
        }
        let allowed: Set<Character> = ["-", "_", ".", ":", "@", "+"]
        if let bad = name.first(where: { !($0.isLetter || $0.isNumber || allowed.contains($0)) }) {
            let shown = bad.unicodeScalars.allSatisfy { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }
                ? "U+" + String(bad.unicodeScalars.first?.value ?? 0, radix: 16, uppercase: true) : "'\(bad)'"
            return "a session name has letters, digits and - _ . : @ + only, not \(shown)"
        }
        return nil
    }
}
