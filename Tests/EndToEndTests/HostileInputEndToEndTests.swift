import Testing
import Foundation
import FakeProvider
@testable import StateStore
import TestSupport
import RouterCore

/// Issue 8: hostile numbers, keys, lost answers and records — each guarded by the built binary.
@Suite(.serialized) struct HostileInputEndToEndTests {
    static let yaml = """
    providers:
      primary: {api: openai, base_url: http://127.0.0.1:PORT/primary/v1, key_env: PRIMARY_KEY}
      backup:  {api: openai, base_url: http://127.0.0.1:PORT/backup/v1, key_env: BACKUP_KEY}
      claude:  {api: anthropic, base_url: http://127.0.0.1:PORT/claude, key_env: CLAUDE_KEY}
      slow:    {api: openai, base_url: http://127.0.0.1:PORT/slow/v1, first_token_timeout: 0, idle_timeout: 0}
      keycmd:  {api: openai, base_url: http://127.0.0.1:PORT/keycmd/v1, key_cmd: "sleep 3600 # KEYCMD_MARKER", key_cmd_timeout: 300ms}
    models:
      p: {provider: primary, id: p-model, input: 1, output: 2, context: 4000}
      b: {provider: backup, id: b-model, input: 0.5, output: 1, context: 4000}
      c: {provider: claude, id: c-model, input: 3, output: 15}
      s: {provider: slow, id: s-model}
      k: {provider: keycmd, id: k-model}
    routes:
      default: {strategy: fallback, retries: 2, targets: [p], fallback: [b]}
      solo: {strategy: fallback, retries: 2, targets: [p]}
      claude: {strategy: fallback, targets: [c]}
      slow: {strategy: fallback, targets: [p, s]}
      keycmd: {strategy: fallback, targets: [k, b]}
    log: {content: true}
    """
    static let primaryKey = "sk-primary-0123456789abcdefWXYZ"
    static let keys = ["PRIMARY_KEY": primaryKey, "BACKUP_KEY": "sk-backup-secret-98765", "CLAUDE_KEY": "sk-ant-claude-secret-4242"]

    func world(_ script: [String: [FakeBehaviour]], yaml: String = Self.yaml) throws -> FakeWorld {
        try FakeWorld(script: FakeScript(script), yaml: yaml)
    }

    func env(_ w: FakeWorld, _ extra: [String: String] = [:]) -> [String: String] {
        var e = Self.keys.merging(["LLMR_STATE_DIR": w.stateDirectory]) { $1 }
        e.merge(extra) { $1 }
        return e
    }

    func log(_ w: FakeWorld) throws -> AttemptLog { try AttemptLog(path: w.stateDirectory + "/state.sqlite") }

    // MARK: crashes

    @Test(arguments: ["1e19", "1e300", "Sun, 06 Nov 99999999999 08:49:37 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"])
    func absurdRetryAfterMovesOnToTheFallback(_ header: String) throws {
        let w = try world(["primary": [.status(429, retryAfter: header)], "backup": [.answer("backup answer")]])
        let r = try w.run(["--json", "hi"], environment: env(w))
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["text"] as? String == "backup answer")
    }

    @Test func absurdRetryAfterWithNothingLeftExits75() throws {
        let w = try world(["primary": [.status(429, retryAfter: "1e300")]])
        let r = try w.run(["-r", "solo", "hi"], environment: env(w))
        #expect(r.exitCode == 75, "\(r.stderr)")
    }

    @Test(arguments: [["ask"], ["route"]])
    func hugeMaxTokensIsAUsageError(_ command: [String]) throws {
        let w = try world(["primary": [.answer("x")]])
        let r = try LLMRProcess.run(command + ["--config", w.configPath, "--max-tokens", "9223372036854775807", "hi"], environment: env(w))
        #expect(r.exitCode == 64)
        #expect(r.stderr.contains("--max-tokens needs a whole number from 1 to 100000000"))
    }

    @Test(arguments: ["1e13", "nan", "-1", "inf"])
    func absurdMaxCostIsAUsageError(_ value: String) throws {
        let w = try world(["primary": [.answer("x")]])
        let r = try LLMRProcess.run(["route", "--config", w.configPath, "--max-cost", value, "hi"], environment: env(w))
        #expect(r.exitCode == 64, "\(r.stderr)")
    }

    @Test(arguments: [
        ("models:\n  p: {provider: primary, id: p-model, input: 1e20, output: 2}", "models.p.input"),
        ("providers:\n  primary: {api: openai, base_url: http://x/v1, timeout: 1e300}", "providers.primary.timeout"),
        ("providers:\n  primary: {api: openai, base_url: http://x/v1, connect_timeout: 1e300}", "providers.primary.connect_timeout"),
        ("breaker: {open_for: 1e300}", "breaker.open_for"),
        ("health: {interval: 1e300}", "health.interval"),
    ])
    func outOfRangeConfigValuesExit78AtLoad(_ yaml: String, _ key: String) throws {
        let text = yaml.hasPrefix("providers") ? yaml : "providers:\n  primary: {api: openai, base_url: http://x/v1}\n" + yaml
        let w = try world([:], yaml: text)
        for command in [["ask", "-m", "primary/x", "hi"], ["route", "-m", "primary/x", "hi"], ["providers", "check", "--watch"]] {
            let r = try LLMRProcess.run([command[0], "--config", w.configPath] + command.dropFirst(), environment: env(w))
            #expect(r.exitCode == 78, "\(command): \(r.stderr)")
            #expect(r.stderr.contains(key) && r.stderr.contains(" to "), "\(r.stderr)")
        }
    }

    @Test func anOutOfRangeBreakerInTheDatabaseIsTreatedAsAbsent() throws {
        let w = try world(["primary": [.answer("primary answer")]])
        try FileManager.default.createDirectory(atPath: w.stateDirectory, withIntermediateDirectories: true)
        let l = try log(w)
        try l.execute("INSERT INTO breakers (provider, state, closed_at, open_until) VALUES ('primary', 'open', 0, 1e300)")
        try l.execute("INSERT INTO cooldowns (provider, until) VALUES ('backup', 'not a number')")
        for args in [["ask", "--config", w.configPath, "hi"], ["route", "--config", w.configPath, "hi"], ["providers", "--config", w.configPath]] {
            let r = try LLMRProcess.run(args, environment: env(w))
            #expect(r.exitCode == 0, "\(args): \(r.stderr)")
        }
    }

    // MARK: keys

    @Test func aKeyEchoedByTheProviderIsNeverPrintedNorStored() throws {
        var echo = FakeBehaviour()
        echo.echoKey = true
        let w = try world(["primary": [echo], "claude": [echo], "backup": [.answer("the key is \(Self.keys["BACKUP_KEY"]!) ok")]])
        var runs: [LLMRRun] = []
        for args in [["-v", "hi"], ["--json", "hi"], ["-r", "claude", "-v", "--json", "hi"], ["-r", "solo", "mention \(Self.primaryKey)"]] {
            runs.append(try w.run(args, environment: env(w)))
        }
        runs.append(try LLMRProcess.run(["providers", "check", "--config", w.configPath], environment: env(w)))
        runs.append(try LLMRProcess.run(["providers", "check", "--json", "--config", w.configPath], environment: env(w)))
        runs.append(try LLMRProcess.run(["providers", "stats", "--json", "--config", w.configPath], environment: env(w)))
        #expect(runs[0].stderr.contains("sk-…WXYZ"), "the echo is shown, masked: \(runs[0].stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: w.stateDirectory)
        #expect(files.contains("state.sqlite"))
        let stored = try files.map { try Data(contentsOf: URL(fileURLWithPath: w.stateDirectory + "/" + $0)) }
        for key in Self.keys.values {
            for r in runs {
                #expect(!r.stdout.contains(key) && !r.stderr.contains(key), "a key was printed: \(r.stdout) \(r.stderr)")
            }
            for data in stored { #expect(data.range(of: Data(key.utf8)) == nil, "a key was stored") }
        }
    }

    @Test func aKeyWithALineBreakIsRefusedByItsVariableName() throws {
        let w = try world(["primary": [.answer("x")]])
        let r = try w.run(["-r", "solo", "hi"], environment: env(w, ["PRIMARY_KEY": "sk-abc\r\nX-Injected: yes"]))
        #expect(r.exitCode == 77)
        #expect(r.stderr.contains("PRIMARY_KEY holds a line break"))
        #expect(!r.stderr.contains("X-Injected"))
        #expect(w.server.requests.isEmpty)
    }

    @Test func aHeaderValueWithALineBreakIsAConfigError() throws {
        let w = try world([:], yaml: "providers:\n  p: {api: openai, base_url: http://x/v1, headers: {X-Team: \"a\\r\\nX-Evil: 1\"}}\n")
        let r = try LLMRProcess.run(["ask", "--config", w.configPath, "-m", "p/x", "hi"], environment: env(w))
        #expect(r.exitCode == 78)
        #expect(r.stderr.contains("providers.p.headers.X-Team: a header value may not hold line breaks"))
    }

    @Test func aKeyCommandThatHangsTimesOutAndTheFallbackAnswers() throws {
        // A marker of this run's own: another test run on the machine has its key commands too.
        let marker = "KEYCMD_MARKER_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let w = try world(["backup": [.answer("from backup")]], yaml: Self.yaml.replacingOccurrences(of: "KEYCMD_MARKER", with: marker))
        let r = try w.run(["-r", "keycmd", "--json", "hi"], environment: env(w))
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.json?["text"] as? String == "from backup")
        let skipped = (r.json?["skipped"] as? [[String: Any]])?.first?["reason"] as? String ?? ""
        #expect(skipped.contains("did not finish within 300ms"), "\(r.stdout)")
        #expect(!ShellRun.processRunning(withMarker: marker))
    }

    @Test func anInterruptKillsTheKeyCommandsProcessGroup() throws {
        let yaml = Self.yaml.replacingOccurrences(of: "key_cmd_timeout: 300ms", with: "key_cmd_timeout: 60s")
            .replacingOccurrences(of: "KEYCMD_MARKER", with: "KEYCMD_INTERRUPT_MARKER_" + String(UInt64.random(in: 0...UInt64.max), radix: 16))
        let w = try world([:], yaml: yaml)
        let bg = try ShellRun.Background(["ask", "--config", w.configPath, "-r", "keycmd", "hi"], environment: env(w))
        let marker = String(yaml[yaml.range(of: "KEYCMD_INTERRUPT_MARKER_")!.lowerBound...].prefix { !$0.isWhitespace && $0 != "\"" })
        #expect(ShellRun.waitUntil { ShellRun.processRunning(withMarker: marker) })
        let (r, took) = bg.stop(with: SIGINT)
        #expect(r.exitCode == 130)
        #expect(took < 1, "took \(took) s")
        #expect(ShellRun.waitUntil(10) { !ShellRun.processRunning(withMarker: marker) })
    }

    // MARK: lost answers and records

    @Test func aFullStdoutExits74AndTheAttemptIsRecorded() throws {
        let w = try world(["primary": [.answer("an answer nobody can keep")]])
        let r = try ShellRun.run(["ask", "--config", w.configPath, "hi"], redirections: "> /dev/full", environment: env(w))
        #expect(r.exitCode == 74)
        #expect(r.stderr.contains("cannot write to stdout: No space left on device"))
        #expect(try log(w).outcomes() == ["ok"])
    }

    @Test func aClosedStdoutExits74() throws {
        let w = try world(["primary": [.answer("lost")]])
        let r = try ShellRun.run(["ask", "--config", w.configPath, "hi"], redirections: ">&-", environment: env(w))
        #expect(r.exitCode == 74)
        #expect(r.stderr.contains("cannot write to stdout"))
        #expect(try log(w).outcomes() == ["ok"])
    }

    @Test func aReaderThatGoesAwayEndsQuietlyAndTheAttemptIsRecorded() throws {
        var long = FakeBehaviour.answer("many words of a long answer ")
        long.repeatCount = 5_000
        let w = try world(["primary": [long]])
        let bash = try LLMRProcess.run(["-c", "set -o pipefail; " + ([LLMRProcess.binary, "ask", "--config", w.configPath, "hi"].map(ShellRun.quote).joined(separator: " "))
                                        + " | head -c 10 >/dev/null"], environment: env(w), executable: "/bin/bash")
        #expect(bash.exitCode == 141)
        #expect(bash.stderr == "")
        #expect(try log(w).outcomes() == ["ok"])
    }

    /// An interrupt mid-answer is the user's doing: it says it was interrupted, and blames no provider.
    @Test func anInterruptMidAnswerSaysOnlyThatItWasInterrupted() throws {
        var slow = FakeBehaviour.answer("one two three four five six seven eight")
        slow.chunkDelayMs = 1000
        let w = try world(["primary": [slow]])
        let bg = try ShellRun.Background(["ask", "--config", w.configPath, "--stream", "hi"], environment: env(w))
        #expect(ShellRun.waitUntil(30) { w.server.requests.count == 1 })
        usleep(1_500_000) // most likely a word or two is out; the assertions hold either way
        let (r, _) = bg.stop(with: SIGINT)
        #expect(r.exitCode == 130)
        #expect(r.stderr.contains("interrupted"))
        #expect(!r.stderr.contains("incomplete") && !r.stderr.contains("every candidate"), "\(r.stderr)")
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalRecordsTheInterruptedAttemptAndTheCooldown(_ signal: Int32, _ code: Int32) throws {
        var slow = FakeBehaviour.answer("too late")
        slow.firstTokenDelayMs = 20_000
        let w = try world(["primary": [.status(429, retryAfter: "60")], "slow": [slow]])
        let bg = try ShellRun.Background(["ask", "--config", w.configPath, "-r", "slow", "hi"], environment: env(w))
        #expect(ShellRun.waitUntil { w.server.requests.contains { $0.provider == "slow" } })
        let (r, took) = bg.stop(with: signal)
        #expect(r.exitCode == code)
        #expect(took < 10, "took \(took) s") // a bound with a wide margin: the figure is scripts/bench-interrupt.sh's
        let l = try log(w)
        #expect(try l.outcomes() == ["http_429", "interrupted"])
        let failures = try l.integer("SELECT sum(failure) FROM attempts")
        #expect(failures == 0, "an interrupted attempt never counts against a breaker")
        let cooldown = try l.snapshot(providers: ["primary"], now: Date().timeIntervalSince1970).cooldowns["primary/p-model"]
        #expect(cooldown != nil)
    }

    @Test func aClosedStdinIsNoStdin() throws {
        let w = try world(["primary": [.echo()]])
        let r = try ShellRun.run(["ask", "--config", w.configPath, "hello"], redirections: "<&-", environment: env(w))
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout == "hello\n")
    }

    @Test func invalidUTF8InAnArgumentIsRefusedByPosition() throws {
        let w = try world(["primary": [.answer("x")]])
        let line = "exec \(ShellRun.quote(LLMRProcess.binary)) ask --config \(ShellRun.quote(w.configPath)) \"$(printf 'caf\\351')\""
        let r = try LLMRProcess.run(["-c", line], environment: env(w), executable: "/bin/sh")
        #expect(r.exitCode == 65)
        #expect(r.stderr.contains("argument 4"))
        #expect(r.stderr.contains("not UTF-8"))
        #expect(w.server.requests.isEmpty)
    }

    // MARK: fuzz

    /// Command lines built from the options `--help` lists, with hostile values,
    /// run through the binary against the fake: exit codes stay in the
    /// documented set, nothing traps, no key is printed.
    @Test func fuzzedCommandLinesExitWithDocumentedCodes() throws {
        var echo = FakeBehaviour()
        echo.echoKey = true
        let w = try world(["primary": [.status(503), .answer("fine")], "backup": [echo], "claude": [.answer("ok")]])
        let values = ["", "0", "-1", "1e300", "nan", "9223372036854775807", "99999999999999999999", "日本語", "p", "b",
                      "primary/x", "default", "solo", "always", "24h", "1e19s", "-", "--"]
        let commands: [(String, [(String, Bool)])] = [
            ("ask", [("--max-tokens", true), ("--max-cost", true), ("--temperature", true), ("--seed", true), ("-m", true), ("-r", true),
                     ("-t", true), ("-s", true), ("--color", true), ("--json", false), ("-v", false), ("--stream", false), ("--no-stdin", false)]),
            ("route", [("--max-tokens", true), ("--max-cost", true), ("--seed", true), ("-m", true), ("-r", true), ("--json", false)]),
            ("providers", [("--since", true), ("--older-than", true), ("--route", true), ("--json", false), ("--csv", false), ("--color", true)]),
        ]
        var rng = SeededRandom(seed: 20_261_125)
        func pick(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
        let documented: Set<Int32> = [0, 64, 65, 69, 74, 75, 77, 78]
        for i in 0..<150 {
            let (command, options) = commands[i % commands.count]
            var args = [command, "--config", w.configPath]
            if command == "providers" { args.insert(["list", "stats", "prune", "reset", "lsit"][pick(5)], at: 1) }
            for _ in 0..<pick(5) {
                let (flag, takesValue) = options[pick(options.count)]
                args.append(flag)
                if takesValue { args.append(values[pick(values.count)]) }
            }
            if command != "providers" { args.append(["hi", "", "-", "\u{1F999}"][pick(4)]) }
            let r = try LLMRProcess.run(args, environment: env(w))
            #expect(documented.contains(r.exitCode), "\(args) exited \(r.exitCode): \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error"), "\(args)")
            for key in Self.keys.values { #expect(!r.stdout.contains(key) && !r.stderr.contains(key), "\(args) printed a key") }
        }
    }

    // MARK: smaller

    @Test func zeroFirstTokenTimeoutMeansNoLimit() throws {
        var late = FakeBehaviour.answer("worth the wait")
        late.firstTokenDelayMs = 300
        let w = try world(["primary": [.status(400)], "slow": [late]])
        let r = try w.run(["-r", "slow", "hi"], environment: env(w))
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout == "worth the wait\n")
    }

    @Test(arguments: ["abc", "1.5", "0", "-3", "99999999999999999999"])
    func watchCountMustBeAWholeNumber(_ value: String) throws {
        let w = try world([:])
        let r = try LLMRProcess.run(["providers", "check", "--watch", "--count", value, "--config", w.configPath], environment: env(w))
        #expect(r.exitCode == 64)
        #expect(r.stderr.contains("--count needs a whole number"))
    }

    @Test func aCorruptStateDatabaseIsSaidToBeUnreadable() throws {
        let w = try world([:])
        try FileManager.default.createDirectory(atPath: w.stateDirectory, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: w.stateDirectory + "/state.sqlite"))
        let r = try LLMRProcess.run(["providers", "stats", "--config", w.configPath], environment: env(w))
        #expect(r.exitCode == 69)
        #expect(r.stderr.contains("is unreadable"), "\(r.stderr)")
        #expect(r.stderr.contains("move it aside"), "\(r.stderr)")
        #expect(!r.stderr.contains("set HOME"))
    }

    @Test func helpAskListsEveryExitCode() throws {
        let r = try LLMRProcess.run(["help", "ask"])
        for code in ["64", "65", "69", "71", "74", "75", "77", "78", "130"] { #expect(r.stdout.contains(code)) }
    }

    @Test func helpHelpIsTheGeneralHelp() throws {
        let r = try LLMRProcess.run(["help", "help"])
        #expect(r.exitCode == 0)
        #expect(r.stdout.contains("commands:"))
        #expect(!r.stderr.contains("did you mean"))
    }

    @Test func aTaskWithNoTasksConfiguredSaysSo() throws {
        let w = try world([:])
        let r = try w.run(["-t", "code", "hi"], environment: env(w))
        #expect(r.exitCode == 64)
        #expect(r.stderr.contains("defines no tasks"))
        #expect(!r.stderr.hasSuffix(": \n"))
    }

    @Test func controlCharactersAreFilteredOnATerminalAndKeptInAPipe() throws {
        let w = try world(["primary": [.answer("red \u{1B}[31mtext\u{07}\u{1B}]0;title\u{07} done")]])
        let piped = try w.run(["hi"], environment: env(w))
        #expect(piped.stdout == "red \u{1B}[31mtext\u{07}\u{1B}]0;title\u{07} done\n")
        let tty = try TerminalRun.run(["ask", "--config", w.configPath, "hi"], environment: env(w))
        #expect(tty.exitCode == 0)
        #expect(!tty.stdout.contains("\u{1B}") && !tty.stdout.contains("\u{07}"), "\(tty.stdout.debugDescription)")
        #expect(tty.stdout.contains("red [31mtext]0;title done"))
    }

    @Test func theVerboseTraceStartsOnALineOfItsOwnOnATerminal() throws {
        let w = try world(["primary": [.answer("no newline at the end")]])
        let tty = try TerminalRun.run(["ask", "--config", w.configPath, "-v", "hi"], environment: env(w))
        #expect(tty.exitCode == 0)
        #expect(tty.stdout.contains("no newline at the end\r\nllmr: ← primary/p-model ok"), "\(tty.stdout.debugDescription)")
    }

    /// Too few descriptors left for the runtime: a clear message and 71 (EX_OSERR), never a trap.
    @Test(arguments: [["--version"], ["route", "-m", "openai/x", "hi"], ["ask", "--no-stdin", "-m", "openai/x", "hi"]])
    func tooFewDescriptorsAreSaidNotCrashedOn(_ args: [String]) throws {
        let quoted = args.map { "'\($0)'" }.joined(separator: " ")
        let r = try LLMRProcess.run(["-c", "ulimit -n 10; exec '\(LLMRProcess.binary)' \(quoted)"],
                                    environment: ["LLMR_STATE_DIR": NSTemporaryDirectory() + "llmr-fds"], executable: "/bin/bash")
        #expect(r.exitCode == 71, "\(r.stderr)")
        #expect(r.stderr.contains("too few free file descriptors"))
        #expect(r.stderr.contains("ulimit -n"))
    }
}
