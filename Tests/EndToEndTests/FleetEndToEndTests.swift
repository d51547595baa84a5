import Testing
import Foundation
import TestSupport
import Synchronization

/// A fleet of two hosts that share nothing but a Redis server: network
/// namespaces made by the test (`ip netns`, a veth pair each), each with its
/// own fake provider on its own loopback and its own state directory, and
/// `redis-server` in the root namespace on the veths' addresses. Where
/// namespaces cannot be made (no root, no iproute2), two state directories on
/// loopback stand in, and the test says so.
final class Fleet: @unchecked Sendable {
    struct Host {
        var name: String
        /// The network namespace, or nil on loopback.
        var namespace: String?
        var directory: String
        var config: String
        var fake: Process
        var redisURL: String
    }

    let redis: RedisServer
    var hosts: [Host] = []
    let namespaces: Bool
    private var links: [String] = []
    let root = NSTemporaryDirectory() + "llmr-fleet-" + UUID().uuidString

    /// `script`: the fake provider's JSON script on every host; `yaml`: the
    /// config's models, routes and the rest (PORT: the host's fake provider).
    init(script: String, yaml: String, hosts count: Int = 2) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let tag = String(getpid() % 10000) + String(UInt32.random(in: 0..<100))
        let net = 100 + Int(UInt32.random(in: 0..<100))
        var made = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
        var addresses: [String] = []
        var madeLinks: [(String, String)] = []
        if made {
            for i in 0..<count {
                let ns = "llmr\(tag)h\(i)", a = "lv\(tag)\(i)", b = "lp\(tag)\(i)"
                let here = "10.\(net).\(i + 1).1", there = "10.\(net).\(i + 1).2"
                let ok = Fleet.sh("""
                    ip netns add \(ns) && ip link add \(a) type veth peer name \(b) && ip link set \(b) netns \(ns) &&
                    ip addr add \(here)/30 dev \(a) && ip link set \(a) up &&
                    ip netns exec \(ns) ip addr add \(there)/30 dev \(b) && ip netns exec \(ns) ip link set \(b) up &&
                    ip netns exec \(ns) ip link set lo up
                    """)
                madeLinks.append((ns, a))
                if !ok { made = false; break }
                addresses.append(here)
            }
            if !made {
                for (ns, a) in madeLinks { Fleet.sh("ip link del \(a) 2>/dev/null; ip netns del \(ns) 2>/dev/null") }
                madeLinks = []
            }
        }
        links = madeLinks.map(\.1)
        namespaces = made
        redis = try RedisServer(bind: ["127.0.0.1"] + (made ? addresses : []))
        for i in 0..<count {
            let ns = made ? "llmr\(tag)h\(i)" : nil
            let dir = root + "/host\(i)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try script.write(toFile: dir + "/script.json", atomically: true, encoding: .utf8)
            let fake = Process()
            fake.executableURL = URL(fileURLWithPath: ns == nil ? Fleet.fakeBinary : "/usr/sbin/ip")
            fake.arguments = (ns.map { ["netns", "exec", $0, Fleet.fakeBinary] } ?? [])
                + ["--script", dir + "/script.json", "--port-file", dir + "/port", "--for", "600"]
            fake.standardOutput = FileHandle.nullDevice
            fake.standardError = FileHandle.nullDevice
            try fake.run()
            _ = ShellRun.waitUntil(10) { ((try? String(contentsOfFile: dir + "/port", encoding: .utf8)) ?? "").hasSuffix("\n") || Int((try? String(contentsOfFile: dir + "/port", encoding: .utf8)) ?? "") != nil }
            let port = Int(((try? String(contentsOfFile: dir + "/port", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            let url = "redis://\(made ? addresses[i] : "127.0.0.1"):\(redis.port)/0"
            let config = dir + "/config.yaml"
            try (yaml.replacingOccurrences(of: "PORT", with: String(port)) + "\nstate: {shared: \"\(url)\", namespace: fleet, timeout: 1s}\n")
                .write(toFile: config, atomically: true, encoding: .utf8)
            hosts.append(Host(name: "host\(i)", namespace: ns, directory: dir, config: config, fake: fake, redisURL: url))
        }
    }

    static var fakeBinary: String {
        URL(fileURLWithPath: LLMRProcess.binary).deletingLastPathComponent().appendingPathComponent("llmr-fake").path
    }

    @discardableResult
    static func sh(_ script: String) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    /// `llmr args…` on host `i` (in its namespace), with its own state directory.
    func run(_ i: Int, _ args: [String], environment: [String: String] = [:]) throws -> LLMRRun {
        let h = hosts[i]
        let env = ["LLMR_STATE_DIR": h.directory + "/state", "LLMR_CONFIG": h.config].merging(environment) { $1 }
        if let ns = h.namespace {
            return try LLMRProcess.run(["netns", "exec", ns, LLMRProcess.binary] + args, environment: env, executable: "/usr/sbin/ip")
        }
        return try LLMRProcess.run(args, environment: env)
    }

    /// Runs `count` asks on every host at once; their results, host by host.
    func concurrently(_ count: Int, _ args: [String]) -> [(host: Int, run: LLMRRun)] {
        let out = Mutex<[(Int, LLMRRun)]>([])
        DispatchQueue.concurrentPerform(iterations: count * hosts.count) { n in
            if let r = try? run(n % hosts.count, args) { out.withLock { $0.append((n % hosts.count, r)) } }
        }
        return out.withLock { $0 }
    }

    /// How the hosts were made, for the record of a run.
    var kind: String { namespaces ? "two network namespaces sharing only redis-server" : "two state directories on loopback (network namespaces could not be made)" }

    deinit {
        // Signalled, not waited for: the fake exits at SIGTERM at once.
        for h in hosts where h.fake.isRunning { kill(h.fake.processIdentifier, SIGTERM) }
        redis.stop()
        // The namespaces' own interfaces go with them; then the root's ends.
        for h in hosts { if let ns = h.namespace { Fleet.sh("ip netns del \(ns)") } }
        for l in links { Fleet.sh("ip link del \(l) 2>/dev/null") }
        try? FileManager.default.removeItem(atPath: root)
    }
}

@Suite(.serialized, .enabled(if: RedisServer.available, "redis-server is needed (Debian's redis-server)"))
struct FleetEndToEndTests {
    static let models = """
        providers:
          flaky: {api: openai, base_url: http://127.0.0.1:PORT/flaky/v1}
          backup: {api: openai, base_url: http://127.0.0.1:PORT/backup/v1}
        models:
          mf: {provider: flaky, id: f-1, input: 1, output: 100}
          mb: {provider: backup, id: b-1, input: 1, output: 100}
        routes:
          default: {retries: 0, targets: [mf], fallback: [mb]}
          solo: {retries: 0, targets: [mf]}
        """

    /// The providers an ask's `--json` attempts went to, in order.
    static func sentTo(_ r: LLMRRun) -> [String] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let attempts = json["attempts"] as? [[String: Any]] else { return [] }
        return attempts.compactMap { a in
            let outcome = a["outcome"] as? String ?? ""
            return outcome == "skipped" || outcome.hasPrefix("breaker") ? nil : a["provider"] as? String
        }
    }

    @Test func aBreakerOpenedOnOneHostKeepsTheOtherFromTheProvider() throws {
        let fleet = try Fleet(script: #"{"providers": {"flaky": {"status": 503}, "backup": {"text": "from backup"}}}"#, yaml: Self.models)
        print("fleet: \(fleet.kind)")
        // Host 0 meets five failures: the model's breaker opens, in Redis.
        for _ in 0..<5 {
            let r = try fleet.run(0, ["ask", "--json", "hi"])
            #expect(r.exitCode == 0 && Self.sentTo(r) == ["flaky", "backup"], "\(r.stdout) \(r.stderr)")
        }
        // Host 1 has never met flaky, and sends it nothing.
        let r = try fleet.run(1, ["ask", "--json", "hi"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(Self.sentTo(r) == ["backup"], "\(r.stdout)")
        #expect(!r.stderr.contains("unavailable"), "\(r.stderr)")
        let list = try fleet.run(1, ["providers"])
        #expect(list.stdout.contains("mf open"), "\(list.stdout)")
        #expect(list.stdout.contains("state: shared: \(fleet.hosts[1].redisURL)"), "\(list.stdout)")
        // providers reset on host 1 closes it for host 0 too.
        #expect(try fleet.run(1, ["providers", "reset"]).exitCode == 0)
        #expect(Self.sentTo(try fleet.run(0, ["ask", "--json", "hi"])) == ["flaky", "backup"])
    }

    @Test func oneBudgetOverBothHostsIsNeverExceeded() throws {
        // Each answer costs exactly its reservation: 1 input + 50 output tokens at $100/M = $0.005001; $0.02 holds three.
        let fleet = try Fleet(script: #"{"providers": {"backup": {"text": "ok", "input_tokens": 1, "output_tokens": 50}}}"#,
                              yaml: Self.models + "\nbudgets:\n  fleet: {usd: 0.02, per: 1h}\n")
        print("fleet: \(fleet.kind)")
        let runs = fleet.concurrently(4, ["ask", "-m", "mb", "--max-tokens", "50", "--json", "hi"])
        let answered = runs.filter { $0.run.exitCode == 0 }
        let refused = runs.filter { $0.run.exitCode == 75 }
        #expect(answered.count + refused.count == 8, "\(runs.map { $0.run.stderr })")
        #expect(answered.count == 3, "\(answered.count) answered: \(runs.map { $0.run.exitCode })")
        #expect(refused.allSatisfy { $0.run.stderr.contains("budget") })
        // Both hosts see the one ledger.
        let budget = try fleet.run(1, ["budget", "--json"])
        let spent = (try? JSONSerialization.jsonObject(with: Data(budget.stdout.utf8)) as? [String: Any])
            .flatMap { ($0["budgets"] as? [[String: Any]])?.first?["spent_usd"] as? Double } ?? -1
        #expect(spent > 0.0149 && spent <= 0.02, "\(budget.stdout)")
    }

    @Test func aRateLimitHoldsAcrossBothHosts() throws {
        let fleet = try Fleet(script: #"{"providers": {"flaky": {"text": "ok"}}}"#,
                              yaml: Self.models.replacingOccurrences(of: "mf: {provider: flaky, id: f-1, input: 1, output: 100}",
                                                                     with: "mf: {provider: flaky, id: f-1, input: 1, output: 100, limits: {requests: 3, per: 1h}}"))
        print("fleet: \(fleet.kind)")
        var sent = 0
        for i in 0..<8 {
            let r = try fleet.run(i % 2, ["ask", "-r", "solo", "--json", "hi"])
            sent += Self.sentTo(r).filter { $0 == "flaky" }.count
        }
        #expect(sent == 3)
    }

    @Test func oneHalfOpenProbeOfTwentyRequestsOnTwoHosts() throws {
        // Five failures open flaky's breaker; then its answers are slow, so the twenty requests overlap the probe.
        let script = #"{"providers": {"flaky": [{"status": 503}, {"status": 503}, {"status": 503}, {"status": 503}, {"status": 503}, {"text": "probe answered", "delay_ms": 1500}], "backup": {"text": "from backup"}}}"#
        let fleet = try Fleet(script: script, yaml: Self.models)
        print("fleet: \(fleet.kind)")
        for _ in 0..<5 { _ = try fleet.run(0, ["ask", "hi"]) }
        #expect(try fleet.run(1, ["providers"]).stdout.contains("mf open"))
        // The open period ends now (the breaker's record, rewritten as a clock moved on would leave it).
        let field = "flaky/f-1"
        let record = try fleet.redis.cli(["HGET", "fleet:health", field]).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        #expect(record.count == 5 && record[0] == "open", "\(record)")
        try fleet.redis.cli(["HSET", "fleet:health", field, "open|\(record[1])|0||"])
        let runs = fleet.concurrently(10, ["ask", "--json", "hi"])
        #expect(runs.count == 20)
        #expect(runs.allSatisfy { $0.run.exitCode == 0 }, "\(runs.map { $0.run.stderr })")
        let probes = runs.flatMap { Self.sentTo($0.run) }.filter { $0 == "flaky" }
        #expect(probes.count == 1, "\(runs.map { Self.sentTo($0.run) })")
    }
}
