/// What a provider reported as an error, classified the same way for every API.
public struct ProviderError: Error, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case rateLimit = "rate_limit"
        case overloaded
        case server
        case timeout
        case auth
        case notFound = "not_found"
        case invalidRequest = "invalid_request"
        case contextLength = "context_length"
        case other
    }

    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }
}

/// One normalized event out of a streamed answer, whatever the API.
public enum StreamEvent: Sendable, Equatable {
    case text(String)
    case usage(Usage)
    case finish(Finish)
    /// The API's end-of-stream marker: only after it is the answer complete.
    case end
    /// The answer is whole (Gemini's finishReason) but its token counts may
    /// come in one more event: read on for them, briefly, then end.
    case endUnlessUsageFollows
    case error(ProviderError)
    /// An event that breaks the API's promises (not JSON, wrong shape).
    case malformed(String)
}

/// A complete, non-streamed answer.
public struct WholeAnswer: Sendable, Equatable {
    public var text: String
    public var usage: Usage?
    public var finish: Finish?

    public init(text: String, usage: Usage?, finish: Finish?) {
        self.text = text
        self.usage = usage
        self.finish = finish
    }
}

/// Turns the bytes of a streamed response into normalized events, chunk by chunk.
public protocol StreamDecoder: AnyObject {
    /// Events completed by these bytes; bytes of an unfinished event are kept.
    func feed(_ bytes: [UInt8]) -> [StreamEvent]
    /// Events left when the body ended.
    func finish() -> [StreamEvent]
}

/// One API's wire format: encode a request, decode the answer, classify errors.
public protocol WireFormat: Sendable {
    /// The HTTP request for a chat request on `modelID`; `key` is nil for keyless providers.
    func makeRequest(_ request: ChatRequest, modelID: String, provider: ProviderConfig, key: String?, stream: Bool) -> HTTPRequest
    /// A fresh decoder for one streamed response.
    func makeStreamDecoder() -> any StreamDecoder
    /// Decodes a whole (non-streamed) response body.
    func decodeWhole(_ body: [UInt8]) -> Result<WholeAnswer, ProviderError>
    /// Classifies an error response; the body may be anything, JSON or not.
    func classify(status: Int, body: [UInt8]) -> ProviderError
    /// The cheapest request that shows the provider is up and takes our key: its model list.
    func probeRequest(provider: ProviderConfig, key: String?) -> HTTPRequest
    /// Whether a request ending in an assistant message makes this provider
    /// continue that message (a prefill), so a broken answer can be finished.
    func canContinue(_ provider: ProviderConfig) -> Bool
}
