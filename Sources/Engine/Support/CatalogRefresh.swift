import RouterCore

/// `llmr models update`: fetches a published price list (LiteLLM's JSON or
/// OpenRouter's model list), turns it into catalog lines and saves them in the
/// state directory, where they override the embedded prices by name.
public enum CatalogRefresh {
    /// LiteLLM's price data, as its repository publishes it.
    public static let defaultSource = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"

    /// Where the refreshed prices live.
    public static func path(_ stateDirectory: String) -> String { stateDirectory + "/catalog.txt" }

    /// Fetches `from` (an http(s) URL, else a file), converts and saves it; the number of models and where.
    public static func run(from: String, environment: [String: String], day: String,
                           transport: any HTTPTransport = RoutingContext.defaultTransport) async throws(Problem) -> (count: Int, path: String) {
        guard let dir = StatePath.directory(environment) else {
            throw Problem(.state, "no state directory (set HOME or LLMR_STATE_DIR) to keep the prices in")
        }
        let bytes: [UInt8]
        if from.hasPrefix("http://") || from.hasPrefix("https://") {
            bytes = try await fetch(from, transport: transport)
        } else {
            do { bytes = try FileIO.read(path: from, regularOnly: true) } catch {
                throw Problem(.input, "cannot read \(from): \(error.message)")
            }
        }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch {
            throw Problem(.input, "\(from) is not JSON (\(error)); expected LiteLLM's price JSON or OpenRouter's model list")
        }
        let lines: (text: String, count: Int)
        do { lines = try CatalogUpdate.lines(json) } catch {
            throw Problem(.input, "\(from): \(error.message)")
        }
        guard StatePath.makeDirectory(dir) else { throw Problem(.state, "cannot create \(dir)") }
        let target = path(dir)
        let text = "# \(from), \(day), \(lines.count) models\n" + lines.text
        do { try FileIO.writeAtomically(target, Array(text.utf8), mode: 0o600) } catch { throw Problem(.state, error.message) }
        return (lines.count, target)
    }

    static func fetch(_ url: String, transport: any HTTPTransport) async throws(Problem) -> [UInt8] {
        var body: [UInt8] = []
        var status: Int?
        let request = HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")], body: [],
                                  timeouts: Timeouts(total: 60, connect: 10, firstToken: 30, idle: 30))
        do {
            for try await event in transport.send(request) {
                switch event {
                case .head(let h): status = h.status
                case .body(let b):
                    body += b
                    if body.count > 64 << 20 { throw Problem(.input, "\(url) sent more than 64 MiB; that is no price list") }
                }
            }
        } catch let p as Problem {
            throw p
        } catch {
            throw Problem(.unavailable, "cannot fetch \(url): \(error)")
        }
        guard let s = status, (200..<300).contains(s) else {
            throw Problem(.unavailable, "cannot fetch \(url): HTTP \(status.map(String.init) ?? "no answer")")
        }
        return body
    }
}
