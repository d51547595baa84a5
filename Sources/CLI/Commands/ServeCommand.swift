import Engine
import RouterCore
#if canImport(Glibc)
import Glibc
#endif

/// `llmr serve`: the gateway. It runs in `llmr-serve`, installed beside
/// `llmr`, so that the HTTP server's library is never loaded by the other commands.
struct ServeCommand {
    static let spec = CommandSpec(
        name: "serve",
        summary: "an OpenAI- and Anthropic-compatible gateway over the router",
        usage: "llmr serve [--listen HOST:PORT] [--log text|json] [--config FILE]",
        description: """
        Serves POST /v1/chat/completions (OpenAI), POST /v1/messages (Anthropic),
        GET /v1/models, GET /healthz and GET /metrics (Prometheus), whole and
        streamed. A request's model names a route, a task, a catalog model or
        provider/model-id; any client format reaches any provider format. Failover happens before the first
        byte; a stream that breaks afterwards ends with the format's error event,
        never as whole. All candidates rate-limited: 429 with Retry-After; all
        failed: 502; a bad request: 400 in the client's format. Listening beyond
        loopback needs serve.keys_env (clients send Authorization: Bearer KEY or
        x-api-key: KEY). SIGTERM or SIGINT stops accepting and lets requests in
        flight finish. One access line per request on stderr: text, or with
        --log json one JSON object per line (time, method, path, status, ms,
        client, stream, route, provider, model, attempts, cost_usd, error).
        """,
        options: [
            OptionSpec("listen", value: "HOST:PORT", help: "where to listen (default: serve.listen, 127.0.0.1:8080)"),
            OptionSpec("log", value: "FORMAT", help: "access lines on stderr as text (the default) or json, one object per line"),
            .config, .help,
        ]
    )

    let terminal: Terminal

    func run(_ args: [String]) async -> Int32 {
        switch Self.spec.start(args, terminal: terminal) {
        case .done(let code): return code
        case .run(let parsed, let report):
            if let log = parsed.value("log"), log != "text", log != "json" {
                return report.fail(Problem(.usage, "--log takes text or json, not '\(log)'"))
            }
            let program = Self.serverPath()
            var argv: [UnsafeMutablePointer<CChar>?] = ([program] + args).map { strdup($0) } + [nil]
            execv(program, &argv)
            let why = String(cString: strerror(errno))
            for a in argv { free(a) }
            return report.fail(Problem(.unavailable, "llmr serve runs \(program), which could not be started (\(why)); 'make install' puts it beside llmr"))
        }
    }

    /// `llmr-serve` in the directory of this executable.
    static func serverPath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let me = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let dir = me.lastIndex(of: "/").map { String(me[..<$0]) } ?? "."
        return dir + "/llmr-serve"
    }
}
