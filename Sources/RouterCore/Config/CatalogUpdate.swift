/// Turns a published price list into the catalog's line format
/// (`name|provider|id|input|output|cached|context|max output`): LiteLLM's
/// `model_prices_and_context_window` JSON, or OpenRouter's `/api/v1/models`.
public enum CatalogUpdate {
    /// LiteLLM's provider names and llmr's embedded providers, in the order
    /// they win a name; the big vendors' models go by their bare id, the
    /// hosts of many vendors' models by `provider/id` (their ids overlap).
    static let litellmProviders: [(litellm: String, ours: String, bare: Bool)] = [
        ("openai", "openai", true), ("anthropic", "anthropic", true), ("gemini", "gemini", true),
        ("deepseek", "deepseek", true), ("xai", "xai", true), ("mistral", "mistral", true),
        ("dashscope", "qwen", true), ("groq", "groq", false), ("together_ai", "together", false),
        ("openrouter", "openrouter", false),
    ]

    public struct Failure: Error, Sendable, Equatable {
        public var message: String
    }

    /// The catalog lines of `json` and how many models they hold.
    public static func lines(_ json: JSONValue) throws(Failure) -> (text: String, count: Int) {
        var rows: [String] = []
        if let data = json["data"]?.array {
            // OpenRouter: prices in USD per token, as strings.
            for m in data {
                guard let id = m["id"]?.string, let pricing = m["pricing"],
                      let input = Self.perMillion(pricing["prompt"]), let output = Self.perMillion(pricing["completion"]),
                      input >= 0, output >= 0 else { continue }
                rows.append(row("openrouter/\(id)", "openrouter", id, input, output, perMillion(pricing["input_cache_read"]),
                                m["context_length"]?.count, m["top_provider"]?["max_completion_tokens"]?.count))
            }
        } else if case .object(let members) = json {
            var seen = Set<String>()
            for (litellm, ours, bare) in litellmProviders {
                for (key, m) in members.sorted(by: { $0.0 < $1.0 }) {
                    guard m["litellm_provider"]?.string == litellm, m["mode"]?.string == "chat",
                          let input = m["input_cost_per_token"]?.double, let output = m["output_cost_per_token"]?.double,
                          input >= 0, output >= 0 else { continue }
                    let id = key.hasPrefix(litellm + "/") ? String(key.dropFirst(litellm.count + 1))
                        : key.hasPrefix(ours + "/") ? String(key.dropFirst(ours.count + 1)) : key
                    guard !id.hasPrefix("ft:") else { continue }
                    let name = bare ? id : "\(ours)/\(id)"
                    guard seen.insert(name).inserted else { continue }
                    rows.append(row(name, ours, id, input * 1_000_000, output * 1_000_000,
                                    m["cache_read_input_token_cost"]?.double.map { $0 * 1_000_000 },
                                    m["max_input_tokens"]?.count ?? m["max_tokens"]?.count, m["max_output_tokens"]?.count))
                }
            }
        } else {
            throw Failure(message: "neither LiteLLM's price JSON (an object of models) nor OpenRouter's model list (an object with 'data')")
        }
        let valid = rows.filter { !$0.isEmpty }
        guard !valid.isEmpty else { throw Failure(message: "it lists no chat model with prices") }
        return (valid.joined(separator: "\n") + "\n", valid.count)
    }

    static func perMillion(_ v: JSONValue?) -> Double? {
        guard let v else { return nil }
        let x = v.double ?? v.string.flatMap { Double($0) }
        return x.flatMap { $0.isFinite ? $0 * 1_000_000 : nil }
    }

    /// One line; empty when a field could not go on a line (a `|` or line break in a name).
    static func row(_ name: String, _ provider: String, _ id: String, _ input: Double, _ output: Double, _ cached: Double?,
                    _ context: Int?, _ maxOutput: Int?) -> String {
        guard ![name, id].contains(where: { $0.contains("|") || $0.contains("\n") || $0.isEmpty }),
              ConfigLimits.price.contains(input), ConfigLimits.price.contains(output) else { return "" }
        func price(_ x: Double) -> String { NumberText.decimal(x, significant: 9) }
        return [name, provider, id, price(input), price(output), cached.map(price) ?? "", context.map(String.init) ?? "",
                maxOutput.map(String.init) ?? ""].joined(separator: "|")
    }
}
