import Testing
import Foundation
import FakeProvider
import RouterCore
@testable import StateStore
import TestSupport

/// Session names and stored text are user and model input: limited, never a
/// key, and never written raw to a terminal.
@Suite(.serialized) struct SessionNamesEndToEndTests {
    static let key = "sk-session-secret-0123456789"
    static let yaml = """
    providers:
      oa: {api: openai, base_url: http://127.0.0.1:PORT/oa/v1, key_env: OA_KEY}
    models:
      o: {provider: oa, id: o-model, input: 1, output: 2, context: 100000}
    routes:
      default: {retries: 0, targets: [o]}
    """

    func world() throws -> FakeWorld {
        try FakeWorld(script: FakeScript([:], unscripted: .echo()), yaml: Self.yaml)
    }

    func env(_ w: FakeWorld) -> [String: String] {
        ["LLMR_STATE_DIR": w.stateDirectory, "XDG_STATE_HOME": w.directory + "/xdg", "OA_KEY": Self.key]
    }

    func run(_ w: FakeWorld, _ args: [String], stdin: String = "") throws -> LLMRRun {
        try LLMRProcess.run([args[0], "--config", w.configPath] + args.dropFirst(), stdin: Array(stdin.utf8), environment: env(w))
    }

    /// Every byte the state directory holds, as text.
    func stored(_ w: FakeWorld) throws -> String {
        try FileManager.default.contentsOfDirectory(atPath: w.stateDirectory).map { name in
            String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: w.stateDirectory + "/" + name))) ?? Data(), as: UTF8.self)
        }.joined()
    }

    @Test func aNameHoldingTheKeyIsRefusedAndNeverStored() throws {
        let w = try world()
        for args in [["chat", "--session", Self.key], ["ask", "--no-stdin", "--session", "x" + Self.key, "hi"]] {
            let r = try run(w, args, stdin: "hello\n")
            #expect(r.exitCode == 64, "\(args)")
            #expect(r.stderr.contains("cannot hold an API key"))
            #expect(!r.stderr.contains(Self.key) && !r.stdout.contains(Self.key))
        }
        #expect(w.server.requests.isEmpty)
        let renamed = try run(w, ["chat", "--session", "plain"], stdin: "hi\n/rename \(Self.key)\n")
        #expect(renamed.exitCode == 64)
        #expect(!(try stored(w)).contains(Self.key))
    }

    @Test func aLongOrOddNameIsRefusedQuickly() throws {
        let w = try world()
        let long = try run(w, ["chat", "--session", String(repeating: "n", count: 100_000)], stdin: "hi\n")
        #expect(long.exitCode == 64)
        #expect(long.stderr.contains("at most 64 characters (this one has 100000)"))
        #expect(long.stderr.utf8.count < 1000, "the name is not echoed back")
        let odd = try run(w, ["chat", "--session", "a\u{1B}]0;pwned\u{7}"], stdin: "hi\n")
        #expect(odd.exitCode == 64)
        #expect(odd.stderr.contains("not U+1B"))
        #expect(!odd.stderr.contains("\u{1B}"))
        #expect(w.server.requests.isEmpty)
        #expect(try run(w, ["chat", "--session", "team-a.review_2026:v1@ci+x"], stdin: "hi\n").exitCode == 0)
    }

    @Test func storedNamesAndTextReachATerminalWithoutControlSequences() throws {
        let w = try world()
        #expect(try run(w, ["chat", "--session", "s1"], stdin: "hi\n").exitCode == 0)
        // As an older llmr or a damaged file might leave them.
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        let evil = "\u{1B}]0;owned\u{7}\u{1B}[2J\u{9B}31m"
        try log.execute("""
            UPDATE sessions SET name = 'bad\(evil)';
            UPDATE turns SET session = 'bad\(evil)', assistant = 'text\(evil)', user = 'you\(evil)';
            """)
        for args in [["chat", "--list"], ["chat", "--export", "bad\(evil)"], ["chat", "--export", "bad\(evil)", "--json"]] {
            let pty = try PTYSession([args[0], "--config", w.configPath] + args.dropFirst(), environment: env(w))
            #expect(pty.exitStatus() == 0, "\(args)")
            #expect(pty.screen.contains("bad"))
            #expect(!pty.screen.contains("\u{1B}") && !pty.screen.contains("\u{9B}") && !pty.screen.contains("\u{7}"),
                    "\(args): \(pty.screen.debugDescription)")
        }
        // Into a pipe the export stays byte for byte what was stored.
        let piped = try run(w, ["chat", "--export", "bad\(evil)"])
        #expect(piped.stdout.contains("text\(evil)"))
        // The REPL's recap of a resumed session, and /sessions.
        let pty = try PTYSession(["chat", "--config", w.configPath, "--session", "bad\(evil)"], environment: env(w))
        #expect(pty.waitFor("you: ") != nil, "\(pty.screen)")
        #expect(pty.waitFor("default> ") != nil)
        pty.type("/sessions\r")
        #expect(pty.waitFor("last used") != nil)
        #expect(pty.waitFor("default> ", count: 2) != nil)
        #expect(pty.pressCtrlDUntilExit() == 0)
        #expect(!pty.screen.contains("\u{1B}]0;") && !pty.screen.contains("\u{1B}[2J") && !pty.screen.contains("\u{9B}"),
                "\(pty.screen.debugDescription)")
    }
}

/// A state database from a newer llmr, or with its schema damaged, is named
/// as such: never "no such column", never "there is no saved session".
@Suite(.serialized) struct StateSchemaEndToEndTests {
    func world() throws -> FakeWorld {
        try FakeWorld(script: FakeScript([:], unscripted: .echo()), yaml: SessionNamesEndToEndTests.yaml)
    }

    func env(_ w: FakeWorld) -> [String: String] { ["LLMR_STATE_DIR": w.stateDirectory, "OA_KEY": "k-0123456789"] }

    func damage(_ w: FakeWorld, version: Int?) throws {
        let first = try LLMRProcess.run(["ask", "--config", w.configPath, "--no-stdin", "--session", "kept", "hello"], environment: env(w))
        #expect(first.exitCode == 0, "\(first.stderr)")
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        try log.execute("DROP TABLE turns")
        if let version { try log.execute("PRAGMA user_version = \(version)") }
    }

    @Test func aNewerSchemaIsSaidToBeNewer() throws {
        let w = try world()
        try damage(w, version: 9)
        for args in [["ask", "--no-stdin", "-c", "again"], ["chat", "--list"], ["chat", "--export", "kept"]] {
            let r = try LLMRProcess.run([args[0], "--config", w.configPath] + args.dropFirst(), environment: env(w))
            #expect(r.exitCode == 69, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("written by a newer llmr (schema 9; this llmr knows up to 6)"), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("no saved session"))
        }
    }

    @Test func aDamagedSchemaIsSaidToBeDamaged() throws {
        let w = try world()
        try damage(w, version: nil)
        let r = try LLMRProcess.run(["ask", "--config", w.configPath, "--no-stdin", "-c", "again"], environment: env(w))
        #expect(r.exitCode == 69, "\(r.stderr)")
        #expect(r.stderr.contains("its schema is damaged (no such table: turns)"), "\(r.stderr)")
        #expect(r.stderr.contains("move it aside"))
    }
}

/// A key the model repeats, split by the 64 KiB boundary of the pieces an
/// answer is kept and written in, is redacted all the same.
@Suite(.serialized) struct SplitKeyEndToEndTests {
    static let key = "sk-split-key-0123456789abcdef"

    func world() throws -> FakeWorld {
        var answer = FakeBehaviour.answer("")
        let first = String(repeating: "a", count: 60_000)
        let second = String(repeating: "b", count: 65_536 - 60_000 - 6) + String(Self.key.prefix(6))
        answer.chunks = [first, second, String(Self.key.dropFirst(6)) + " end"]
        answer.text = answer.chunks!.joined()
        return try FakeWorld(script: FakeScript(["oa": [answer]]), yaml: SessionNamesEndToEndTests.yaml)
    }

    func env(_ w: FakeWorld) -> [String: String] { ["LLMR_STATE_DIR": w.stateDirectory, "OA_KEY": Self.key] }

    @Test(arguments: [["ask", "--no-stdin", "hi"], ["ask", "--no-stdin", "--stream", "hi"], ["ask", "--no-stdin", "--session", "s", "hi"],
                      ["chat"]])
    func theKeyNeverReachesStdout(_ args: [String]) throws {
        let w = try world()
        let r = try LLMRProcess.run([args[0], "--config", w.configPath] + args.dropFirst(), stdin: Array("hi\n".utf8), environment: env(w))
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(!r.stdout.contains(Self.key) && !r.stdout.contains(String(Self.key.dropFirst(6))), "\(args)")
        #expect(r.stdout.contains("sk-…cdef end"), "\(args)")
        #expect(r.stdout.hasPrefix(String(repeating: "a", count: 60_000)))
    }
}

/// A healthy state database on a read-only mount, with no WAL beside it: read
/// as it is, and what cannot be saved is said. Needs bind mounts (root); says so otherwise.
@Suite(.serialized) struct ReadOnlyStateEndToEndTests {
    static let canMount: Bool = {
        let probe = NSTemporaryDirectory() + "llmr-mount-probe-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard ShellRun.sh("mount --bind \(probe) \(probe)") == 0 else { return false }
        ShellRun.sh("umount \(probe)")
        return true
    }()

    @Test(.enabled(if: canMount, "bind mounts need root; run as root to check a read-only state directory"))
    func aReadOnlyDatabaseIsReadAndNothingIsLost() throws {
        let w = try FakeWorld(script: FakeScript([:], unscripted: .echo()), yaml: SessionNamesEndToEndTests.yaml)
        let env = ["LLMR_STATE_DIR": w.stateDirectory, "OA_KEY": "k-0123456789"]
        let first = try LLMRProcess.run(["ask", "--config", w.configPath, "--no-stdin", "--session", "kept", "hello"], environment: env)
        #expect(first.exitCode == 0)
        do {
            let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
            try log.queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: w.stateDirectory + "/state.sqlite" + suffix) }
        let ro = w.directory + "/ro"
        try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: true)
        #expect(ShellRun.sh("mount --bind \(w.stateDirectory) \(ro) && mount -o remount,ro,bind \(ro)") == 0)
        defer { ShellRun.sh("umount \(ro)") }
        let roEnv = ["LLMR_STATE_DIR": ro, "OA_KEY": "k-0123456789"]
        let list = try LLMRProcess.run(["chat", "--config", w.configPath, "--list"], environment: roEnv)
        #expect(list.exitCode == 0, "\(list.stderr)")
        #expect(list.stdout.contains("kept"))
        let export = try LLMRProcess.run(["chat", "--config", w.configPath, "--export", "kept"], environment: roEnv)
        #expect(export.exitCode == 0 && export.stdout.contains("hello"))
        let ask = try LLMRProcess.run(["ask", "--config", w.configPath, "--no-stdin", "again"], environment: roEnv)
        #expect(ask.exitCode == 0)
        #expect(ask.stdout == "again\n")
        #expect(ask.stderr.contains("read-only"), "\(ask.stderr)")
        let chat = try LLMRProcess.run(["chat", "--config", w.configPath, "--session", "kept"], stdin: Array("one\ntwo\n".utf8), environment: roEnv)
        #expect(chat.exitCode == 0)
        #expect(chat.stdout == "one\n\ntwo\n\n")
        #expect(chat.stderr.components(separatedBy: "read-only").count == 2, "said once: \(chat.stderr)")
    }
}
