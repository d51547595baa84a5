import Engine
import NIOCore
import NIOHTTP1
import NIOPosix
import RouterCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where the signal handler writes (set once, before the handler is installed).
nonisolated(unsafe) private var signalWriteFD: Int32 = -1

/// Where the gateway listens and what it allows.
public struct ServeOptions: Sendable {
    public var host: String
    public var port: Int
    /// The keys clients must send; empty: none asked (loopback only).
    public var keys: [String]
    public var maxConcurrency: Int
    public var maxBody: Int
    /// Seconds a connection may send nothing (`serve.idle_timeout`).
    public var idleTimeout: Double = 30
    /// How long requests in flight may run on after SIGTERM or SIGINT.
    public var grace: Double = 30
    /// How access lines are written (`--log`).
    public var log: AccessLogFormat = .text

    public init(host: String, port: Int, keys: [String], maxConcurrency: Int, maxBody: Int) {
        self.host = host
        self.port = port
        self.keys = keys
        self.maxConcurrency = maxConcurrency
        self.maxBody = maxBody
    }

    /// `HOST:PORT` (or `[V6]:PORT`), or nil when it is not one.
    public static func address(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// True for addresses only this machine can reach.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// The gateway on SwiftNIO: HTTP/1.1 with keep-alive and pipelining, one
/// event loop per core, the routing on the concurrency runtime.
public enum GatewayServer {
    /// Serves until SIGTERM or SIGINT; then stops accepting, lets requests in
    /// flight finish (up to `grace`), and returns.
    public static func run(_ options: ServeOptions, gateway: Gateway, listening: @Sendable (String) -> Void) async throws {
        let state = ServeState(gateway: gateway, options: options)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .milliseconds(Int64(options.idleTimeout * 1000))))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(GatewayHandler(state: state))
                }
            }
        let server = try await bootstrap.bind(host: options.host, port: options.port).get()
        let port = server.localAddress?.port ?? options.port
        listening("http://\(options.host.contains(":") ? "[\(options.host)]" : options.host):\(port)")
        await Self.waitForSignal()
        try? await server.close().get()
        // Requests in flight finish, up to the grace period.
        let deadline = SystemClock().now() + options.grace
        while state.inFlight.load(ordering: .relaxed) > 0, SystemClock().now() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        // Every attempt recorded before the process ends.
        gateway.flushRecords()
        try? await group.shutdownGracefully()
    }

    /// Returns at the first SIGTERM or SIGINT: their handler writes a byte
    /// to a pipe that a thread of its own waits on.
    static func waitForSignal() async {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        signalWriteFD = fds[1]
        let handler: @convention(c) (Int32) -> Void = { _ in
            var byte: UInt8 = 1
            _ = write(signalWriteFD, &byte, 1)
        }
        signal(SIGTERM, handler)
        signal(SIGINT, handler)
        let readFD = fds[0]
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DetachedThread.start {
                var byte: UInt8 = 0
                while read(readFD, &byte, 1) < 0, errno == EINTR {}
                done.resume()
            }
        }
    }
}
