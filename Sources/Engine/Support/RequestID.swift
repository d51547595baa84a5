/// Ids under which one request's attempts are recorded together.
public enum RequestID {
    /// A random id: 64 bits as hexadecimal.
    public static func make() -> String {
        var g = SystemRandomNumberGenerator()
        return String(g.next(), radix: 16)
    }
}
