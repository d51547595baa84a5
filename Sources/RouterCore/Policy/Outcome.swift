/// How one attempt ended, as `--json` and `--verbose` name it.
public enum Outcome: Sendable, Equatable, CustomStringConvertible {
    case ok
    /// The server answered with this non-2xx status.
    case http(Int)
    /// Nothing accepted the connection (refused, unreachable).
    case connect
    /// The host name did not resolve.
    case dns
    /// The TLS handshake failed.
    case tls
    /// The whole attempt took longer than its timeout.
    case timeout
    /// No connection within `connect_timeout`.
    case connectTimeout
    /// No first token within `first_token_timeout`.
    case firstTokenTimeout
    /// The stream went silent for longer than `idle_timeout`.
    case idleTimeout
    /// The connection closed before the response was complete.
    case dropped
    /// The response ended cleanly but without the API's end marker.
    case truncated
    /// The response or one of its events was not what the API promises.
    case malformed
    /// The provider reported an error inside a successful (200) stream.
    case streamError
    /// The provider's key is missing, so nothing was sent.
    case noKey
    /// This build cannot speak the provider's wire format, so nothing was sent.
    case unsupported
    /// A hedged attempt that lost the race to the first token and was cancelled.
    case hedgeLost
    /// The answer ended properly but held no text at all.
    case empty
    /// The user interrupted llmr (Ctrl-C, SIGTERM) while the attempt ran; never the provider's fault.
    case interrupted
    /// A shared budget had no room for it, so nothing was sent (`bench --direct`; routed requests skip instead).
    case overBudget
    /// Answered from the response cache: nothing was sent (recorded for the hit rate).
    case cacheHit
    /// The answer is not JSON that validates against `--schema`: asked again, never the provider's breaker's concern.
    case invalidOutput

    public var description: String {
        switch self {
        case .ok: return "ok"
        case .http(let s): return "http_\(s)"
        case .connect: return "connect"
        case .dns: return "dns"
        case .tls: return "tls"
        case .timeout: return "timeout"
        case .connectTimeout: return "connect_timeout"
        case .firstTokenTimeout: return "first_token_timeout"
        case .idleTimeout: return "idle_timeout"
        case .dropped: return "dropped"
        case .truncated: return "truncated"
        case .malformed: return "malformed"
        case .streamError: return "stream_error"
        case .noKey: return "no_key"
        case .unsupported: return "unsupported"
        case .hedgeLost: return "hedge_lost"
        case .interrupted: return "interrupted"
        case .empty: return "empty"
        case .overBudget: return "over_budget"
        case .cacheHit: return "cache_hit"
        case .invalidOutput: return "invalid_output"
        }
    }

    /// Statuses worth retrying on the same target: rate limits and passing server trouble.
    public static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504, 529]

    /// Whether the same target may be tried again after this outcome.
    /// Refused connections, bad requests and credentials are never retried on the same target.
    public var isRetryable: Bool {
        switch self {
        case .http(let s): return Self.retryableStatuses.contains(s)
        case .timeout, .connectTimeout, .firstTokenTimeout, .idleTimeout, .dropped, .truncated, .malformed, .streamError, .invalidOutput: return true
        case .ok, .connect, .dns, .tls, .noKey, .unsupported, .hedgeLost, .interrupted, .empty, .overBudget, .cacheHit: return false
        }
    }

    /// The server refused our credentials, or we had none to send.
    public var isCredentialProblem: Bool {
        switch self {
        case .http(401), .http(403), .noKey: return true
        default: return false
        }
    }
}
