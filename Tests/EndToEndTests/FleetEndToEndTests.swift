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

    var redis: RedisServer
    var hosts: [Host] = []
    let namespaces: Bool
    private var links: [String] = []
    let root = NSTemporaryDirectory() + "llmr-fleet-" + UUID().uuidString

    /// `script`: the fake provider's JSON script on every host; `yaml`: the
    /// config's models, routes and the rest (PORT: the host's fake provider).
    init(script: String, yaml: String, hosts count: Int = 2) throws {
        _ = Fleet.swept
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let tag = String(getpid() % 10000) + String(UInt32.random(in: 0..<100))
        // Every fleet of this run on links of its own: 10.N.host.0/30.
        let net = Fleet.nextNet.withLock { n -> Int in
            n = n >= 250 ? 100 : n + 1
            return n
        }
        var made = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
        var addresses: [String] = []
        var madeLinks: [(String, String)] = []
        if made {
            for i in 0..<count {
                let ns = Fleet.namespace(net, i), a = "lv\(tag)\(i)", b = "lp\(tag)\(i)"
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
            let ns = made ? Fleet.namespace(net, i) : nil
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

    static let nextNet = Mutex(100 + Int(getpid() % 100))

    /// A host's namespace, named after the test process that made it.
    static func namespace(_ net: Int, _ host: Int) -> String { "llmr-\(getpid())-\(net)h\(host)" }

    /// A test process that crashed left its namespaces behind (its fleets'
    /// deinit never ran), and their links' routes can shadow a new fleet's.
    /// Each is deleted, with whatever still runs in it, once the process named
    /// in it is gone; one of an older naming once it is an hour old.
    static let swept: Void = {
        guard getuid() == 0 else { return }
        let dir = "/var/run/netns"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix("llmr") {
            let parts = name.split(separator: "-")
            let stale: Bool
            if parts.count == 3, parts[0] == "llmr", let pid = Int32(parts[1]) {
                stale = kill(pid, 0) != 0 && errno == ESRCH
            } else {
                let made = (try? FileManager.default.attributesOfItem(atPath: dir + "/" + name))?[.modificationDate] as? Date
                stale = made.map { -$0.timeIntervalSinceNow > 3600 } ?? false
            }
            if stale { sh("ip netns pids \(name) | xargs -r kill -9; ip netns del \(name)") }
        }
    }()

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
        // A thread each, so that all of them are in flight at once (a pool would run as many as there are cores).
        let out = Mutex<[(Int, LLMRRun)]>([])
        let group = DispatchGroup()
        for n in 0..<count * hosts.count {
            group.enter()
            Thread {
                if let r = try? self.run(n % self.hosts.count, args) { out.withLock { $0.append((n % self.hosts.count, r)) } }
                group.leave()
            }.start()
        }
        group.wait()
        return out.withLock { $0 }
    }

    /// How the hosts were made, for the record of a run.
    var kind: String { namespaces ? "two network namespaces sharing only redis-server" : "two state directories on loopback (network namespaces could not be made)" }

    deinit {
        // Killed, not waited for. SIGKILL: a process this test started inherits
        // the test thread's signal mask, in which SIGTERM may be blocked.
        for h in hosts where h.fake.isRunning { kill(h.fake.processIdentifier, SIGKILL) }
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

    /// A row of gateways is what the shared state is for: `llmr serve` on one
    /// host stops sending to a provider once the other host's failures opened its breaker.
    @Test func aGatewayHonoursABreakerAnotherHostOpened() throws {
        let fleet = try Fleet(script: #"{"providers": {"flaky": {"status": 503}, "backup": {"text": "from backup"}}}"#, yaml: Self.models)
        print("fleet: \(fleet.kind)")
        let port = fleet.namespaces ? 8080 : RedisServer.freePort()
        let host = fleet.hosts[0]
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: host.namespace == nil ? LLMRProcess.binary : "/usr/sbin/ip")
        serve.arguments = (host.namespace.map { ["netns", "exec", $0, LLMRProcess.binary] } ?? []) + ["serve", "--listen", "127.0.0.1:\(port)"]
        serve.environment = ["PATH": "/usr/bin:/bin", "HOME": host.directory, "LLMR_STATE_DIR": host.directory + "/state", "LLMR_CONFIG": host.config]
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { kill(serve.processIdentifier, SIGKILL) }
        /// curl on host 0: the response's headers.
        func post() -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: host.namespace == nil ? "/usr/bin/curl" : "/usr/sbin/ip")
            p.arguments = (host.namespace.map { ["netns", "exec", $0, "/usr/bin/curl"] } ?? []) + [
                "-s", "-D", "-", "-o", "/dev/null", "--max-time", "20", "-X", "POST", "http://127.0.0.1:\(port)/v1/chat/completions",
                "-H", "content-type: application/json", "--data-binary", #"{"model":"default","messages":[{"role":"user","content":"hi"}]}"#]
            let out = Pipe()
            p.standardOutput = out
            guard (try? p.run()) != nil else { return "" }
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).lowercased()
            p.waitUntilExit()
            return text
        }
        #expect(ShellRun.waitUntil(20) { post().contains("x-llmr-provider") })
        // That request met flaky's 503 (one failure; the gateway's copy of the breakers is dropped).
        // Host 1 meets five more: the breaker opens, in Redis.
        for _ in 0..<5 { _ = try fleet.run(1, ["ask", "hi"]) }
        let headers = post()
        #expect(headers.contains("x-llmr-provider: backup") && headers.contains("x-llmr-attempts: 1"), "\(headers)")
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
        // Five failures open flaky's breaker; then its answers take 8 s, so the probe is still in flight
        // while the other nineteen requests, started together, are planned (each takes a fraction of a second).
        let script = #"{"providers": {"flaky": [{"status": 503}, {"status": 503}, {"status": 503}, {"status": 503}, {"status": 503}, {"text": "probe answered", "delay_ms": 8000}], "backup": {"text": "from backup"}}}"#
        let fleet = try Fleet(script: script, yaml: Self.models)
        print("fleet: \(fleet.kind)")
        for i in 0..<5 {
            let r = try fleet.run(0, ["ask", "-v", "hi"])
            try #require(r.exitCode == 0 && !r.stderr.contains("shared state"), "ask \(i + 1) of 5: \(r.stderr)")
        }
        let list = try fleet.run(1, ["providers"])
        #expect(list.stdout.contains("mf open"), "\(list.stdout)\(list.stderr)")
        // The open period ends now (the breaker's record, rewritten as a clock moved on would leave it).
        let field = "flaky/f-1"
        let record = try fleet.redis.cli(["HGET", "fleet:health", field]).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        try #require(record.count == 5 && record[0] == "open", "\(record)")
        try fleet.redis.cli(["HSET", "fleet:health", field, "open|\(record[1])|0||"])
        let runs = fleet.concurrently(10, ["ask", "--json", "hi"])
        #expect(runs.count == 20)
        #expect(runs.allSatisfy { $0.run.exitCode == 0 }, "\(runs.map { $0.run.stderr })")
        let probes = runs.flatMap { Self.sentTo($0.run) }.filter { $0 == "flaky" }
        #expect(probes.count == 1, "\(runs.map { Self.sentTo($0.run) })")
    }
}

/// Redis killed, paused, restarted empty, answering errors or not Redis at
/// all: every ask still answers, with one warning, within `state.timeout`
/// of its usual time; budgets are not passed unread unless told.
@Suite(.serialized, .enabled(if: RedisServer.available, "redis-server is needed (Debian's redis-server)"))
struct SharedStateFaultTests {
    static let yaml = FleetEndToEndTests.models
    static let script = #"{"providers": {"flaky": {"status": 503}, "backup": {"text": "from backup", "input_tokens": 1, "output_tokens": 5}}}"#
    static let warning = "shared state"

    @Test func redisKilledMidRunCostsOneWarningAndNoAnswer() throws {
        let fleet = try Fleet(script: Self.script, yaml: Self.yaml, hosts: 1)
        for _ in 0..<2 {
            let r = try fleet.run(0, ["ask", "hi"])
            #expect(r.exitCode == 0 && r.stdout == "from backup\n" && !r.stderr.contains(Self.warning), "\(r.stderr)")
        }
        fleet.redis.stop()
        _ = ShellRun.waitUntil(10) { (try? fleet.redis.cli(["PING"])) != "PONG" }
        let r = try fleet.run(0, ["ask", "hi"])
        #expect(r.exitCode == 0 && r.stdout == "from backup\n", "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "llmr: shared state").count == 2, "one warning: \(r.stderr)")
        #expect(r.stderr.contains("this process uses its local state"))
        // What was sent is still recorded, on this machine.
        let stats = try fleet.run(0, ["providers", "stats", "--json"])
        #expect(stats.stdout.contains(#""provider":"backup""#), "\(stats.stdout)")
        // providers check says Redis is down, and exits non-zero for it.
        let check = try fleet.run(0, ["providers", "check"])
        #expect(check.stdout.contains("unavailable") && check.exitCode != 0, "\(check.stdout)")
    }

    @Test func aPausedRedisDelaysAnAskByTheTimeoutAtMost() throws {
        let fleet = try Fleet(script: Self.script, yaml: Self.yaml, hosts: 1)
        // Redis busy for 20 s (DEBUG SLEEP): the ask gives up on it after state.timeout (1 s here) and answers.
        let pause = Process()
        pause.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        pause.arguments = ["-p", String(fleet.redis.port), "DEBUG", "SLEEP", "20"]
        pause.standardOutput = FileHandle.nullDevice
        try pause.run()
        _ = ShellRun.waitUntil(5) { (try? LLMRProcess.run(["--version"]))?.exitCode == 0 }
        let r = try fleet.run(0, ["ask", "hi"])
        #expect(r.exitCode == 0 && r.stdout == "from backup\n", "\(r.stderr)")
        #expect(r.stderr.contains("no answer within 1000 ms (state.timeout)"), "\(r.stderr)")
        // The answer came while Redis was still asleep.
        #expect(pause.isRunning)
        kill(pause.processIdentifier, SIGKILL)
    }

    @Test func aRestartedEmptyRedisIsUsedAgain() throws {
        let fleet = try Fleet(script: Self.script, yaml: Self.yaml, hosts: 1)
        for _ in 0..<5 { _ = try fleet.run(0, ["ask", "hi"]) }
        #expect(try fleet.run(0, ["providers"]).stdout.contains("mf open"))
        let port = fleet.redis.port
        fleet.redis.stop()
        _ = ShellRun.waitUntil(10) { (try? fleet.redis.cli(["PING"])) != "PONG" }
        fleet.redis = try RedisServer(port: port, bind: fleet.redis.bind)
        // Empty: the breaker is gone; the next ask tries flaky again, with no warning.
        let r = try fleet.run(0, ["ask", "--json", "hi"])
        #expect(r.exitCode == 0 && !r.stderr.contains(Self.warning), "\(r.stderr)")
        #expect(FleetEndToEndTests.sentTo(r) == ["flaky", "backup"])
    }

    @Test func errorRepliesAndAServerThatIsNotRedisCostAWarning() throws {
        let fleet = try Fleet(script: Self.script, yaml: Self.yaml, hosts: 1)
        // Another program wrote over the namespace: every script on it fails with WRONGTYPE.
        try fleet.redis.cli(["SET", "fleet:health", "not a hash"])
        let r = try fleet.run(0, ["ask", "hi"])
        #expect(r.exitCode == 0 && r.stdout == "from backup\n", "\(r.stderr)")
        #expect(r.stderr.contains("WRONGTYPE"), "\(r.stderr)")
        // An HTTP server where Redis should be (the fake provider's port).
        let port = try String(contentsOfFile: fleet.hosts[0].directory + "/port", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let nonsense = try fleet.run(0, ["ask", "hi"], environment: ["LLMR_STATE_SHARED": "redis://127.0.0.1:\(port)/0"])
        #expect(nonsense.exitCode == 0 && nonsense.stdout == "from backup\n", "\(nonsense.stderr)")
        #expect(nonsense.stderr.contains("llmr: shared state redis://127.0.0.1:\(port)/0 unavailable"), "\(nonsense.stderr)")
        // A value that is not an address is said, and local state used.
        let bad = try fleet.run(0, ["ask", "hi"], environment: ["LLMR_STATE_SHARED": "rediss://127.0.0.1:1/0"])
        #expect(bad.exitCode == 0 && bad.stderr.contains("TLS"), "\(bad.stderr)")
    }

    /// Values no llmr wrote, in every kind of key: nothing crashes, every ask answers.
    @Test func nonsenseInRedisNeverCrashesAnything() throws {
        let yaml = Self.yaml.replacingOccurrences(of: "mb: {provider: backup, id: b-1, input: 1, output: 100}",
                                                  with: "mb: {provider: backup, id: b-1, input: 1, output: 100, limits: {requests: 1000, tokens: 100000000, per: 1m}}")
            + "\nbudgets:\n  fleet: {usd: 1000, per: 1h}\n"
        let fleet = try Fleet(script: Self.script, yaml: yaml, hosts: 1)
        #expect(try fleet.run(0, ["ask", "-m", "mb", "hi"]).exitCode == 0)
        let r = fleet.redis
        try r.cli(["HSET", "fleet:health", "flaky", "open|nan|1e999|x|", "flaky/f-1", "garbage", "backup", "closed|-inf|inf||"])
        try r.cli(["HSET", "fleet:cool", "backup", "inf", "backup/b-1", "nan", "flaky", "-1e308"])
        try r.cli(["HSET", "fleet:ratetok:backup/b-1", "x", "1e308", "y", "nan", "z", "-5"])
        try r.cli(["ZADD", "fleet:rate:backup/b-1", "+inf", "x", "-inf", "y"])
        try r.cli(["HSET", "fleet:spendv:fleet", "9", "1e308|0|nan", "10", "abc|1|1e999"])
        try r.cli(["ZADD", "fleet:spend:fleet", "+inf", "9", "1e10", "10"])
        for args in [["ask", "-m", "mb", "hi"], ["ask", "hi"], ["providers"], ["providers", "--json"], ["budget"], ["budget", "--json"],
                     ["route", "hi"], ["providers", "check"], ["cache", "stats"]] {
            let out = try fleet.run(0, args)
            #expect(out.exitCode >= 0 && out.exitCode < 100, "\(args): exit \(out.exitCode) \(out.stderr)")
            #expect(!out.stderr.contains("Fatal error") && !out.stderr.contains("Crash"), "\(args): \(out.stderr)")
        }
        // Spend and tokens no ledger of ours holds count as the whole budget and window: nothing is sent past them
        // unread, and the refusal says why.
        let ask = try fleet.run(0, ["ask", "hi"])
        #expect([0, 69, 75].contains(ask.exitCode), "\(ask.stderr)")
        if ask.exitCode != 0 { #expect(ask.stderr.contains("over budget 'fleet'") && ask.stdout.isEmpty, "\(ask.stderr)") }
    }

    @Test func anUnreadableSharedLedgerSendsNoBudgetedRequestUnlessLocalMayStandIn() throws {
        let budget = "\nbudgets:\n  fleet: {usd: 1, per: 1h}\n"
        let fleet = try Fleet(script: Self.script, yaml: Self.yaml + budget, hosts: 1)
        #expect(try fleet.run(0, ["ask", "-m", "mb", "hi"]).exitCode == 0)
        fleet.redis.stop()
        _ = ShellRun.waitUntil(10) { (try? fleet.redis.cli(["PING"])) != "PONG" }
        let refused = try fleet.run(0, ["ask", "-m", "mb", "hi"])
        #expect(refused.exitCode != 0 && refused.stdout.isEmpty, "\(refused.stdout)")
        #expect(refused.stderr.contains("budgets' ledger cannot be read"), "\(refused.stderr)")
        // budgets_offline: local lets this machine's ledger stand in.
        let config = fleet.hosts[0].config
        let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "timeout: 1s}", with: "timeout: 1s, budgets_offline: local}")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let allowed = try fleet.run(0, ["ask", "-m", "mb", "hi"])
        #expect(allowed.exitCode == 0 && allowed.stdout == "from backup\n", "\(allowed.stderr)")
    }
}
