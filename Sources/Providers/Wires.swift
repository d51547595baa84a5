import RouterCore

/// The wire formats this build speaks, by API name.
public enum Wires {
    public static let all: [WireAPI: any WireFormat] = [
        .openai: OpenAIWire(),
        .anthropic: AnthropicWire(),
        .gemini: GeminiWire(),
    ]
}
