import Testing
import Foundation
import FakeProvider
import RouterCore
@testable import StateStore
import TestSupport

/// `llmr chat` and `ask -c`, through the built binary against the fake provider:
/// piped stdin, and the REPL on a real pseudo-terminal.
@Suite(.serialized) struct ChatEndToEndTests {
    static let yaml = """
    providers:
      oa: {api: openai, base_url: http://127.0.0.1:PORT/oa/v1}
      an: {api: anthropic, base_url: http://127.0.0.1:PORT/an}
      tiny: {api: openai, base_url: http://127.0.0.1:PORT/tiny/v1}
    models:
      o: {provider: oa, id: o-model, input: 1, output: 2, context: 100000}
      a: {provider: an, id: a-model, input: 3, output: 15, context: 100000}
      t: {provider: tiny, id: t-model, context: 60}
    routes:
      default: {strategy: fallback, retries: 0, targets: [o], fallback: [a]}
      tiny: {retries: 0, targets: [t]}
    """

    func world(_ script: [String: [FakeBehaviour]], extra: String = "") throws -> FakeWorld {
        try FakeWorld(script: FakeScript(script, unscripted: .echo()), yaml: Self.yaml + extra)
    }

    func env(_ w: FakeWorld) -> [String: String] {
        ["LLMR_STATE_DIR": w.stateDirectory, "XDG_STATE_HOME": w.directory + "/xdg"]
    }

    func chat(_ w: FakeWorld, _ stdin: String, _ args: [String] = []) throws -> LLMRRun {
        try LLMRProcess.run(["chat", "--config", w.configPath] + args, stdin: Array(stdin.utf8), environment: env(w))
    }

    func ask(_ w: FakeWorld, _ args: [String]) throws -> LLMRRun {
        try LLMRProcess.run(["ask", "--config", w.configPath, "--no-stdin"] + args, environment: env(w))
    }

    /// The messages of the request the fake received `index`-th, as (role, content).
    func messages(_ w: FakeWorld, _ index: Int) throws -> [(String, String)] {
        let json = try JSONSerialization.jsonObject(with: Data(w.server.requests[index].body)) as? [String: Any]
        return (json?["messages"] as? [[String: Any]] ?? []).map { ($0["role"] as? String ?? "", $0["content"] as? String ?? "") }
    }

    // MARK: piped stdin

    @Test func eachLineIsATurnAndTheSecondCarriesTheFirst() throws {
        let w = try world([:])
        let r = try chat(w, "first question\nsecond question\n")
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout == "first question\n\nsecond question\n\n")
        #expect(try messages(w, 1).map(\.1) == ["first question", "first question", "second question"])
        #expect(try messages(w, 1).map(\.0) == ["user", "assistant", "user"])
        #expect(r.stderr == "", "footers only with -v")
    }

    @Test func aTripleQuotedBlockIsOneTurnAndABackslashContinues() throws {
        let w = try world([:])
        let r = try chat(w, "\"\"\"\nline one\nline two\n\"\"\"\nhalf \\\nwhole\n")
        #expect(r.exitCode == 0)
        #expect(w.server.requests.count == 2)
        #expect(try messages(w, 0).last?.1 == "line one\nline two")
        #expect(try messages(w, 1).last?.1 == "half \nwhole")
    }

    @Test func aFailoverOnTurnThreeSendsEveryEarlierTurnInAnthropicsShape() throws {
        let w = try world(["oa": [.echo(), .echo(), .status(503)], "an": [.answer("from anthropic")]])
        let r = try chat(w, "/system be brief\none\ntwo\nthree\n", ["-v"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout.hasSuffix("from anthropic\n\n"))
        let sent = try #require(w.server.requests.last)
        #expect(sent.path == "/an/v1/messages")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any])
        #expect(json["system"] as? String == "be brief")
        let shape = (json["messages"] as? [[String: Any]] ?? []).map { "\($0["role"] as? String ?? ""):\($0["content"] as? String ?? "")" }
        #expect(shape == ["user:one", "assistant:one", "user:two", "assistant:two", "user:three"])
        #expect(r.stderr.contains("an/a-model"))
    }

    @Test func everyTurnIsOneJSONObjectWithTheSessionAndTurn() throws {
        let w = try world([:])
        let r = try chat(w, "a\nb\n", ["--json", "--session", "js"])
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["schema"] as? String == "llmr.chat/1")
        #expect(second["session"] as? String == "js")
        #expect(second["turn"] as? Int == 2)
        #expect(second["text"] as? String == "b")
    }

    @Test func aResumedSessionSendsItsEarlierTurns() throws {
        let w = try world([:])
        #expect(try chat(w, "remember the word fox\n", ["--session", "notes"]).exitCode == 0)
        #expect(try chat(w, "what was the word?\n", ["--session", "notes"]).exitCode == 0)
        #expect(try messages(w, 1).map(\.1) == ["remember the word fox", "remember the word fox", "what was the word?"])
        #expect(try chat(w, "and again?\n", ["-c"]).exitCode == 0)
        #expect(try messages(w, 2).count == 5)
        let asked = try ask(w, ["-c", "--json", "one more"])
        #expect(asked.exitCode == 0, "\(asked.stderr)")
        #expect(asked.json?["session"] as? String == "notes")
        #expect(asked.json?["turn"] as? Int == 4)
        #expect(try messages(w, 3).count == 7)
        let named = try ask(w, ["--session", "notes", "last"])
        #expect(named.stdout == "last\n")
        #expect(try messages(w, 4).count == 9)
    }

    @Test func aConversationTooLargeForEveryWindowIsRefusedAndNothingSent() throws {
        let w = try world([:])
        let long = String(repeating: "word ", count: 60)
        let r = try chat(w, "\(long)\n", ["-r", "tiny"])
        #expect(r.exitCode == 65)
        #expect(r.stderr.contains("more than any candidate's context window holds"))
        #expect(r.stderr.contains("/trim") && r.stderr.contains("/clear"))
        #expect(w.server.requests.isEmpty)
    }

    @Test func withTrimOldestTheOldestTurnsGoWithANotice() throws {
        let w = try world([:], extra: "\nchat: {trim: oldest}\n")
        let line = String(repeating: "x", count: 56)
        let r = try chat(w, "a\(line)\nb\(line)\nc\(line)\n", ["-r", "tiny"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stderr.contains("dropped the oldest"))
        #expect(try messages(w, 2).count < 5)
    }

    /// A message that fits no window even alone is refused before anything is
    /// dropped: trimming could not have helped, so the conversation stays whole.
    @Test func withTrimOldestAMessageTooLargeAloneDropsNothing() throws {
        let w = try world([:], extra: "\nchat: {trim: oldest}\n")
        let r = try chat(w, "hi\n\(String(repeating: "word ", count: 60))\n", ["-r", "tiny", "--session", "kept"])
        #expect(r.exitCode == 65)
        #expect(r.stderr.contains("this message is about"))
        #expect(!r.stderr.contains("dropped the oldest"))
        #expect(w.server.requests.count == 1)
        let exported = try LLMRProcess.run(["chat", "--config", w.configPath, "--export", "kept", "--json"],
                                           environment: ["LLMR_STATE_DIR": w.stateDirectory])
        #expect((exported.json?["turns"] as? [Any])?.count == 1)
    }

    /// The one-line notice without -v says what happens next: the same candidate again, or the next.
    @Test func aRetryOfTheSameCandidateIsNotCalledTheNextCandidate() throws {
        let w = try world(["oa": [.status(500), .answer("second time lucky")]])
        let r = try chat(w, "hi\n", ["-m", "oa/o-model"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stderr.contains("o failed (http_500); trying it again"), "\(r.stderr)")
        #expect(!r.stderr.contains("trying the next candidate"))
        #expect(r.stdout == "second time lucky\n\n")
    }

    /// `chat` answers through the route its prompt shows: the one the `chat` task names.
    @Test func chatUsesTheRouteOfTheChatTask() throws {
        let w = try world([:], extra: "\ntasks: {chat: tiny}\n")
        let r = try chat(w, "hi\n", ["-v"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stderr.contains("route tiny"), "\(r.stderr)")
        let again = try chat(w, "hi\n", ["-v", "-c"])
        #expect(again.stderr.contains("route tiny"), "\(again.stderr)")
        let pty = try PTYSession(["chat", "--config", w.configPath], environment: env(w))
        #expect(pty.waitFor("tiny> ") != nil, "\(pty.screen)")
        #expect(pty.pressCtrlDUntilExit() == 0)
    }

    /// /cost lists what was spent, not the providers that cost nothing.
    @Test func costLeavesOutProvidersThatCostNothing() throws {
        let w = try world([:])
        let r = try chat(w, "hi\n/route tiny\nhello\n/cost\n")
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stderr.contains("  oa "), "\(r.stderr)")
        #expect(!r.stderr.contains("  tiny "), "\(r.stderr)")
    }

    /// /cost, /sessions, --list and a resumed session's /cost all count the answer that /retry replaced.
    @Test func costAndSessionsAgreeAfterARetry() throws {
        let w = try world([:])
        let r = try chat(w, "hi\n/retry\n/cost\n/sessions\n", ["--session", "s"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        func dollars(after marker: String, in text: String) -> String? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(marker) || $0.contains("  " + marker) }),
                  let at = line.range(of: "$", options: .backwards) else { return nil }
            return String(line[at.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
        let cost = try #require(dollars(after: "session s: $", in: r.stderr), "\(r.stderr)")
        #expect(r.stderr.contains("s *"), "\(r.stderr)")
        #expect(cost != "0.000000")
        #expect(dollars(after: "s *", in: r.stderr) == cost, "\(r.stderr)")
        let list = try LLMRProcess.run(["chat", "--config", w.configPath, "--list"], environment: env(w))
        #expect(dollars(after: "s ", in: list.stdout) == cost, "\(list.stdout)")
        #expect(list.stdout.contains("  1  "), "one turn: the replaced answer is no turn \(list.stdout)")
        let resumed = try chat(w, "/cost\n", ["--session", "s"])
        #expect(dollars(after: "session s: $", in: resumed.stderr) == cost, "\(resumed.stderr)")
    }

    @Test func aBinaryFileIsRefusedAndATextFileGoesWithTheNextMessage() throws {
        let w = try world([:])
        let binary = w.directory + "/blob.bin", text = w.directory + "/notes.txt"
        try Data([0, 1, 2, 0xFF, 0xFE]).write(to: URL(fileURLWithPath: binary))
        try "file contents".write(toFile: text, atomically: true, encoding: .utf8)
        let refused = try chat(w, "/file \(binary)\n")
        #expect(refused.exitCode == 64)
        #expect(refused.stderr.contains("not UTF-8 text"))
        #expect(w.server.requests.isEmpty)
        let r = try chat(w, "/file \(text)\nsummarize\n")
        #expect(r.exitCode == 0)
        #expect(try messages(w, 0).last?.1.contains("file contents") == true)
        #expect(try messages(w, 0).last?.1.hasPrefix("summarize") == true)
    }

    @Test func theCommands() throws {
        let w = try world(["an": [.answer("anthropic says")]])
        let r = try chat(w, """
            /help
            /model a
            hello
            /route default
            /set temperature 0.5
            /set max-tokens 42
            /system talk like a pirate
            /retry
            /retry o
            /cost
            /rename pirate-talk
            /sessions
            /clear
            /resume pirate-talk
            .cost
            /exit
            never sent

            """, ["--session", "first-name"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stderr.contains("/retry [MODEL]"), "help lists the commands")
        let sent = w.server.requests
        #expect(sent.count == 3)
        #expect(sent[0].path == "/an/v1/messages")                       // /model a
        #expect(sent[1].path == "/oa/v1/chat/completions")               // /retry, through the route again
        let retried = try #require(try JSONSerialization.jsonObject(with: Data(sent[1].body)) as? [String: Any])
        #expect(retried["temperature"] as? Double == 0.5)
        #expect(retried["max_tokens"] as? Int == 42)
        #expect(try messages(w, 1).first?.1 == "talk like a pirate")    // /system
        #expect(try messages(w, 1).count == 2, "the retried answer left the conversation")
        #expect(sent[2].path == "/oa/v1/chat/completions")               // /retry o
        #expect(r.stderr.contains("session first-name: $"))               // /cost
        #expect(r.stderr.contains("session pirate-talk: $"))              // .cost after /rename and /resume
        #expect(r.stderr.contains("pirate-talk *"))                       // /sessions marks the current one
        #expect(r.stderr.contains("resumed pirate-talk: 1 turn"))
        let list = try LLMRProcess.run(["chat", "--config", w.configPath, "--list", "--json"], environment: env(w))
        let sessions = (list.json?["sessions"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(sessions == ["pirate-talk"])
    }

    @Test func trimAndClearShortenTheConversation() throws {
        let w = try world([:])
        let r = try chat(w, "one\ntwo\n/trim\nthree\n/clear\nfour\n")
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(try messages(w, 2).map(\.1) == ["two", "two", "three"], "/trim dropped the oldest turn")
        #expect(try messages(w, 3).map(\.1) == ["four"], "/clear started afresh")
        #expect(r.stderr.contains("a new conversation: chat-"))
    }

    @Test func maxCostCapsTheWholeSession() throws {
        // Model a: $15 per million output tokens. The first answer reports 600 tokens ($0.009);
        // a turn's worst case with --max-tokens 100 is about $0.0015, more than the $0.001 left.
        var costly = FakeBehaviour.answer("priced")
        costly.outputTokens = 600
        let w = try world(["an": [costly]])
        let r = try chat(w, "first\nsecond\n", ["-m", "a", "--max-tokens", "100", "--max-cost", "0.01"])
        #expect(r.exitCode == 75, "\(r.stderr)")
        #expect(r.stdout == "priced\n\n")
        #expect(r.stderr.contains("--max-cost"))
        #expect(w.server.requests.count == 1)
    }

    @Test func anUnknownCommandSaysSoWithTheNearest() throws {
        let w = try world([:])
        let r = try chat(w, "/modle x\n")
        #expect(r.exitCode == 64)
        #expect(r.stderr.contains("unknown command '/modle' (did you mean '/model'?)"))
        let bad = try chat(w, "/model nope\n")
        #expect(bad.exitCode == 64)
        #expect(bad.stderr.contains("unknown model"))
    }

    @Test func listAndExport() throws {
        let w = try world([:])
        #expect(try chat(w, "hello\nworld\n", ["--session", "kept"]).exitCode == 0)
        let table = try LLMRProcess.run(["chat", "--config", w.configPath, "--list"], environment: env(w))
        #expect(table.stdout.contains("kept"))
        #expect(table.stdout.contains("  2  "))
        let md = try LLMRProcess.run(["chat", "--config", w.configPath, "--export", "kept"], environment: env(w))
        #expect(md.stdout.hasPrefix("# kept\n"))
        #expect(md.stdout.contains("## Turn 2"))
        #expect(md.stdout.contains("**You:**\n\nworld"))
        let json = try LLMRProcess.run(["chat", "--config", w.configPath, "--export", "kept", "--json"], environment: env(w))
        #expect(json.json?["schema"] as? String == "llmr.session/1")
        #expect((json.json?["turns"] as? [[String: Any]])?.count == 2)
        let missing = try LLMRProcess.run(["chat", "--config", w.configPath, "--export", "kpet"], environment: env(w))
        #expect(missing.exitCode == 64)
        #expect(missing.stderr.contains("did you mean 'kept'"))
    }

    @Test func anEmptySessionIsNotSaved() throws {
        let w = try world([:])
        #expect(try chat(w, "").exitCode == 0)
        #expect(try chat(w, "/help\n").exitCode == 0)
        let list = try LLMRProcess.run(["chat", "--config", w.configPath, "--list", "--json"], environment: env(w))
        #expect((list.json?["sessions"] as? [Any])?.isEmpty == true)
    }

    @Test func twentyConcurrentAsksOnOneSessionSaveTwentyTurns() throws {
        let w = try world([:])
        let n = 20
        let results = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
        results.initialize(repeating: -1)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: n) { i in
            out[i] = (try? ask(w, ["--session", "same", "question \(i)"]).exitCode) ?? -2
        }
        #expect(results.allSatisfy { $0 == 0 })
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        let turns = try #require(try log.session("same")).turns
        #expect(turns.map(\.turn) == Array(1...n))
        #expect(Set(turns.map(\.user)).count == n)
    }

    // MARK: the REPL on a terminal

    @Test func theREPLAnswersRecallsAndKeepsHistory() throws {
        let w = try world([:])
        let pty = try PTYSession(["chat", "--config", w.configPath], environment: env(w))
        #expect(pty.waitFor("default> ") != nil, "\(pty.screen)")
        pty.type("first question\r")
        #expect(pty.waitFor("session $") != nil, "\(pty.screen)")
        // Up recalls the previous entry; Enter sends it again.
        pty.type("\u{1B}[A")
        pty.type("\r")
        #expect(pty.waitFor("session $", count: 2) != nil, "\(pty.screen)")
        #expect(w.server.requests.count == 2)
        #expect(try messages(w, 1).last?.1 == "first question")
        pty.type(" secret line\r")
        #expect(pty.waitFor("default> ", count: 4) != nil)
        #expect(pty.pressCtrlDUntilExit() == 0)
        let history = try String(contentsOfFile: w.directory + "/xdg/llmr/history", encoding: .utf8)
        #expect(history.contains("first\\040question"))
        #expect(!history.contains("secret"), "a line starting with a space is not kept")
    }

    /// A history file libedit did not write (another tool's, a hand-made one)
    /// would be wiped by the first save: it is moved aside, and said so.
    @Test func aForeignHistoryFileIsMovedAsideNotWiped() throws {
        let w = try world([:])
        let dir = w.directory + "/xdg/llmr"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "my precious notes\nline two\n".write(toFile: dir + "/history", atomically: true, encoding: .utf8)
        let pty = try PTYSession(["chat", "--config", w.configPath], environment: env(w))
        #expect(pty.waitFor("default> ") != nil, "\(pty.screen)")
        #expect(pty.screen.contains("was not in libedit's format; it was moved to"))
        pty.type("hello\r")
        #expect(pty.waitFor("session $") != nil, "\(pty.screen)")
        #expect(pty.waitFor("default> ", count: 2) != nil)
        #expect(pty.pressCtrlDUntilExit() == 0)
        #expect(try String(contentsOfFile: dir + "/history.old", encoding: .utf8) == "my precious notes\nline two\n")
        #expect(try String(contentsOfFile: dir + "/history", encoding: .utf8).hasPrefix("_HiStOrY_V2_"))
    }

    @Test func aPasteOfThreeLinesIsOneMessage() throws {
        let w = try world([:])
        let pty = try PTYSession(["chat", "--config", w.configPath], environment: env(w))
        #expect(pty.waitFor("default> ") != nil)
        pty.type("\u{1B}[200~one\ntwo\nthree\u{1B}[201~")
        pty.type("\r")
        #expect(pty.waitFor("session $") != nil, "\(pty.screen)")
        #expect(w.server.requests.count == 1)
        #expect(try messages(w, 0).last?.1 == "one\ntwo\nthree")
        #expect(pty.waitFor("default> ", count: 2) != nil)
        #expect(pty.pressCtrlDUntilExit() == 0)
        // The pasted block is one history entry, and survives a reload.
        let again = try PTYSession(["chat", "--config", w.configPath], environment: env(w))
        #expect(again.waitFor("default> ") != nil)
        again.type("\u{1B}[A\r")
        #expect(again.waitFor("session $") != nil, "\(again.screen)")
        #expect(try messages(w, 1).last?.1 == "one\ntwo\nthree")
        #expect(again.waitFor("default> ", count: 2) != nil)
        #expect(again.pressCtrlDUntilExit() == 0)
    }

    /// A hang-up, Ctrl-\\ or a polite kill mid-answer: the attempt in flight is
    /// recorded, the terminal gets bracketed paste back off, the exit says which.
    @Test(arguments: [SIGHUP, SIGQUIT, SIGTERM])
    func aSignalMidTurnRecordsTheAttemptAndRestoresTheTerminal(_ sig: Int32) throws {
        var slow = FakeBehaviour.answer("one two three four five six seven eight nine ten")
        slow.chunkDelayMs = 1000
        let w = try world(["oa": [slow]])
        let pty = try PTYSession(["chat", "--config", w.configPath], environment: env(w))
        #expect(pty.waitFor("default> ") != nil)
        pty.type("tell me\r")
        #expect(pty.waitFor("two ") != nil, "\(pty.screen)")
        pty.send(signal: sig)
        #expect(pty.exitStatus() == 128 + sig, "\(pty.screen)")
        let screen = pty.screen
        let on = screen.range(of: "\u{1B}[?2004h", options: .backwards)?.lowerBound
        let off = screen.range(of: "\u{1B}[?2004l", options: .backwards)?.lowerBound
        #expect(on != nil && off != nil && on! < off!, "bracketed paste left on: \(screen.debugDescription)")
        let log = try AttemptLog(path: w.stateDirectory + "/state.sqlite")
        #expect(try log.outcomes() == ["interrupted"])
    }

    @Test func ctrlCStopsASlowAnswerAndTheSessionGoesOn() throws {
        var slow = FakeBehaviour.answer("one two three four five six seven eight nine ten eleven twelve thirteen")
        // Thirteen words a second apart: the whole answer would take 12 s.
        slow.chunkDelayMs = 1000
        let w = try world(["oa": [slow, .answer("the next answer")]])
        let pty = try PTYSession(["chat", "--config", w.configPath], environment: env(w))
        #expect(pty.waitFor("default> ") != nil)
        pty.type("tell me\r")
        #expect(pty.waitFor("two ") != nil, "\(pty.screen)")
        pty.type("\u{3}")
        // The prompt is back long before the answer could have ended by itself.
        #expect(pty.waitFor("default> ", count: 2, limit: 8) != nil, "\(pty.screen)")
        #expect(!pty.screen.contains("thirteen"))
        #expect(pty.screen.contains("[interrupted"))
        #expect(ShellRun.waitUntil(10) { w.server.openConnections == 0 }, "the fake still holds the connection")
        pty.type("and now?\r")
        #expect(pty.waitFor("the next answer") != nil, "\(pty.screen)")
        #expect(try messages(w, 1).map(\.1) == ["and now?"], "the interrupted turn is not part of the conversation")
        // Back at the prompt (a Ctrl-D typed while an answer is written is the terminal's, not the REPL's).
        #expect(pty.waitFor("default> ", count: 3) != nil)
        #expect(pty.pressCtrlDUntilExit() == 0)
        let outcomes = try AttemptLog(path: w.stateDirectory + "/state.sqlite").outcomes()
        #expect(outcomes == ["interrupted", "ok"])
    }

    @Test func ctrlCAtThePromptClearsTheLineAndTabCompletes() throws {
        let w = try world([:])
        let pty = try PTYSession(["chat", "--config", w.configPath], environment: env(w))
        #expect(pty.waitFor("default> ") != nil)
        pty.type("never sent")
        #expect(pty.waitFor("never sent") != nil)
        // Ctrl-C discards what the terminal holds unread, so the next keys wait for the line to be redrawn.
        let before = pty.screen.utf8.count
        pty.type("\u{3}")
        #expect(ShellRun.waitUntil(5) { pty.screen.utf8.count > before }, "the line was not redrawn")
        pty.type("\r")
        #expect(pty.waitFor("default> ", count: 2) != nil, "\(pty.screen)")
        // Tab makes /mo into /model (libedit redraws only the rest: "del ").
        pty.type("/mo\t")
        #expect(pty.waitFor("del ") != nil, "\(pty.screen)")
        pty.type("o\r")
        #expect(pty.waitFor("answering with o") != nil, "\(pty.screen)")
        #expect(pty.waitFor("o> ") != nil, "the prompt names the model now")
        #expect(pty.pressCtrlDUntilExit() == 0)
        #expect(w.server.requests.isEmpty)
    }

    @Test func noHistoryIsKeptWithLLMRNOHISTORY() throws {
        let w = try world([:])
        var e = env(w)
        e["LLMR_NOHISTORY"] = "1"
        let pty = try PTYSession(["chat", "--config", w.configPath], environment: e)
        #expect(pty.waitFor("default> ") != nil)
        pty.type("hello\r")
        #expect(pty.waitFor("default> ", count: 2) != nil)
        #expect(pty.pressCtrlDUntilExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: w.directory + "/xdg/llmr/history"))
    }
}
