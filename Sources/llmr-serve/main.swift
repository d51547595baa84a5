import Engine
import RouterCore
import Serve
#if canImport(Glibc)
import Glibc
#endif

// The gateway behind `llmr serve` (which runs this program): a binary of its
// own, so that SwiftNIO is never loaded by `llmr ask` and its kin.


func fail(_ message: String, _ code: Int32) -> Never {
    let line = "llmr serve: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(code)
}

func logFormat(_ text: String) -> AccessLogFormat {
    guard let f = AccessLogFormat(rawValue: text) else { fail("--log takes text or json, not '\(text)'", 64) }
    return f
}

let usage = "llmr-serve is the gateway behind 'llmr serve'; 'llmr serve --help' says how to use it.\n"

var listen: String?
var configPath: String?
var log = AccessLogFormat.text
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let a = args.removeFirst()
    func value() -> String {
        guard !args.isEmpty else { fail("\(a) needs a value", 64) }
        return args.removeFirst()
    }
    switch a {
    case "-h", "--help":
        _ = usage.withCString { write(1, $0, strlen($0)) }
        exit(0)
    case "--listen": listen = value()
    case "--config": configPath = value()
    case "--log": log = logFormat(value())
    default:
        if a.hasPrefix("--listen=") { listen = String(a.dropFirst(9)) }
        else if a.hasPrefix("--log=") { log = logFormat(String(a.dropFirst(6))) }
        else if a.hasPrefix("--config=") { configPath = String(a.dropFirst(9)) }
        else { fail("unknown option '\(a)'; 'llmr serve --help' lists them", 64) }
    }
}

let environment = ProcessEnvironment.current()

let context: RoutingContext
do { context = try await RoutingContext.load(configPath: configPath, environment: environment) } catch {
    fail(error.message, 78)
}
let config = context.config.serve
let where_ = listen ?? config.listen
guard let (host, port) = ServeOptions.address(where_) else { fail("--listen takes HOST:PORT, such as 127.0.0.1:8080, not '\(where_)'", 64) }
var keys: [String] = []
for name in config.keysEnv {
    guard let k = environment[name], !k.isEmpty else { fail("serve.keys_env names \(name), which is not set", 78) }
    keys.append(k)
}
if !ServeOptions.isLoopback(host), keys.isEmpty {
    fail("listening on \(host) lets other machines in: set serve.keys_env to the variables holding the keys clients must send", 78)
}
var options = ServeOptions(host: host, port: port, keys: keys, maxConcurrency: config.maxConcurrency, maxBody: config.maxBody)
options.idleTimeout = config.idleTimeout
options.log = log
let keyed = !keys.isEmpty
let json = log == .json
do {
    try await GatewayServer.run(options, gateway: Gateway(context: context)) { @Sendable url in
        let line = json
            ? String(decoding: JSONValue.object([("time", .string(Timestamp.isoMillis(SystemClock().wallTime()))), ("event", "listening"),
                                                 ("url", .string(url)), ("client_keys", .bool(keyed))]).bytes(), as: UTF8.self) + "\n"
            : "llmr serve: listening on \(url)\(keyed ? " (client keys required)" : "")\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
} catch {
    fail("cannot listen on \(where_): \(error)", 71)
}
exit(0)
