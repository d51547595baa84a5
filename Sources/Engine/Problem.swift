/// A request the engine refuses before anything is sent: what kind of
/// problem it is (each front end maps the kind to its own exit code or
/// status) and a message that says what happened and what to do.
public struct Problem: Error, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// A mistake in how llmr was called (an unknown route, a bad option value).
        case usage
        /// A bare `llmr ask` on a terminal: no prompt at all, so usage is shown.
        case noPrompt = "no-prompt"
        /// The input itself: not UTF-8, too large, too large for every window.
        case input
        /// The config file.
        case config
        /// The state store is missing or unreadable where it is needed.
        case state
        /// A spending limit.
        case budget
        /// The line editor could not be loaded.
        case editline
        /// Something to fetch (a price list) could not be had.
        case unavailable
        /// A read-only response cache had no answer for the request; nothing was sent.
        case cacheMiss = "cache_miss"
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func usage(_ message: String) -> Problem { Problem(.usage, message) }
    public static func data(_ message: String) -> Problem { Problem(.input, message) }

    /// The `error.kind` a `--json` object reports: a missing prompt is a usage error.
    public var jsonKind: String { kind == .noPrompt ? "usage" : kind.rawValue }
}
