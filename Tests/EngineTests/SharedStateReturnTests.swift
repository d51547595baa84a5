import Foundation
import RouterCore
import StateStore
import RedisStore
import Synchronization
import Testing
import TestSupport

/// A process that lives on (`llmr serve`, `chat`) goes back to Redis once it
/// answers again, no sooner than `retryInterval` after giving up on it; a
/// short-lived one never waits for it.
@Suite(.enabled(if: RedisServer.available, "redis-server is needed"))
struct SharedStateReturnTests {
    final class Clock: @unchecked Sendable {
        let t = Mutex(0.0)
        func now() -> Double { t.withLock { $0 } }
        func advance(_ s: Double) { t.withLock { $0 += s } }
    }

    @Test func backToRedisAfterTheRetryIntervalAndSaidSo() throws {
        var server = try RedisServer()
        let port = server.port
        let dir = NSTemporaryDirectory() + "llmr-return-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let said = Mutex<[String]>([])
        let clock = Clock()
        let store = SharedState(local: try AttemptLog(path: dir + "/state.sqlite"), url: try RedisURL.parse(server.url).get(),
                                namespace: "r", timeout: 1, budgetsOffline: .refuse, sharedCache: false,
                                warn: { line in said.withLock { $0.append(line) } })
        store.now = { clock.now() }
        store.retryInterval = 30
        let window = RateWindow(key: "p", limit: RateLimit(requests: 100, per: 60))
        guard case .granted = try store.takeSlot([window], tokens: 1, now: 100) else { Issue.record("no slot"); return }
        #expect(store.unavailable == nil)
        server.stop()
        _ = ShellRun.waitUntil(10) { (try? server.cli(["PING"])) != "PONG" }
        _ = try store.takeSlot([window], tokens: 1, now: 101)
        #expect(store.unavailable != nil)
        server = try RedisServer(port: port)
        // Not before the interval: still local, and no new warning.
        clock.advance(10)
        _ = try store.takeSlot([window], tokens: 1, now: 102)
        #expect(store.unavailable != nil)
        #expect(said.withLock { $0.count } == 1)
        clock.advance(25)
        _ = try store.takeSlot([window], tokens: 1, now: 103)
        #expect(store.unavailable == nil)
        #expect(said.withLock { $0.last ?? "" }.contains("reachable again"))
        // The slot went to Redis (empty after its restart): one request counted there.
        #expect(try store.use(of: [window], now: 104).first?.requests == 1)
        #expect(try server.cli(["EXISTS", "r:rate:p"]) == "1")
    }
}
