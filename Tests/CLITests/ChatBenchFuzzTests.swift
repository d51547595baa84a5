import Foundation
import Testing
@testable import CLI
@testable import Engine
import Providers
import RouterCore
import TestSupport

/// Seeded fuzz over the newer surfaces: chat commands on a live session,
/// session names, bench's options and prompts files. None may trap; every
/// refusal is a usage or input error that says what was wrong, and whatever
/// is accepted keeps the limits it promises.
@Suite(.serialized) struct ChatBenchFuzzTests {
    static let hostile = ["", " ", "0", "-1", "1e309", "nan", "2.5", "9223372036854775807", "99999999999999999999", "日本語", "🦙",
                          "a\u{0}b", "\u{1B}]0;x\u{7}", "x".padding(to: 70), "x".padding(to: 5000), "/", "..", "~/nope", "/dev/null",
                          "/proc/self/status", "--", "sk-fuzz-key-0123456789", "name with space", "ok-name_1.2:3@4+5"]

    func pick<G: RandomNumberGenerator>(_ list: [String], _ g: inout G) -> String { list.randomElement(using: &g)! }

    @Test func chatCommandsNeverTrapAndSayWhatIsWrong() async throws {
        Secrets.register("sk-fuzz-key-0123456789")
        let config = try ConfigLoader.load(yaml: """
            providers:
              a: {api: openai, base_url: http://a/v1}
            models:
              ma: {provider: a, input: 1, output: 2, context: 1000}
            routes:
              default: {retries: 0, targets: [ma]}
            """, source: "fuzz")
        let transport = ScriptedTransport(["http://a": [ScriptedTransport.openAIStream("fine")]], clock: ManualClock())
        let context = RoutingContext(config: config, state: .success(InMemoryState()), keys: FixedKeys([:]), transport: transport,
                                     clock: ManualClock())
        let terminal = Terminal(stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false, environment: [:])
        let view = ChatView(session: ChatSession(context: context, selection: .automatic, name: "fuzz"), terminal: terminal,
                            report: Report(json: false, terminal: terminal, color: "never", schema: "llmr.chat/1"), verbose: false)
        let commands = ChatView.commands.map(\.name) + ["quit", "bogus", "", "set temperature", "set max-tokens", "set nothing"]
        var g = SeededRandom(seed: 19)
        var outcomes: [String: Int] = [:]
        for _ in 0..<1500 {
            let line = (Bool.random(using: &g) ? "/" : ".") + pick(commands, &g) + " " + pick(Self.hostile, &g)
            guard ChatView.isCommand(line) else { continue }
            switch view.command(line) {
            case .handled: outcomes["handled", default: 0] += 1
            case .exit: outcomes["exit", default: 0] += 1
            case .retry(let text, _):
                #expect(!text.isEmpty)
                _ = await view.send(text, live: false)
                outcomes["retry", default: 0] += 1
            case .failed(let message):
                #expect(!message.isEmpty && message.count < 400, "\(line): \(message)")
                #expect(!Output.shown(message).contains("sk-fuzz-key-0123456789"), "as written: \(message)")
                outcomes["failed", default: 0] += 1
            }
            // Whatever was accepted stays within its bounds.
            if let t = view.session.temperature { #expect((0...2).contains(t)) }
            if let n = view.session.maxTokens { #expect(ConfigLimits.maxTokens.contains(n)) }
            #expect(SessionName.problem(view.session.name) == nil || view.session.name == "fuzz", "\(view.session.name)")
        }
        #expect((outcomes["handled"] ?? 0) > 100 && (outcomes["failed"] ?? 0) > 100, "\(outcomes)")
    }

    @Test func sessionNamesAreAcceptedOnlyWithinTheirRules() {
        Secrets.register("sk-fuzz-key-0123456789")
        var g = SeededRandom(seed: 23)
        let alphabet = Array("ab-_.:@+ /\u{0}\u{1B}é日🦙9") + ["sk-fuzz-key-0123456789"].flatMap { Array($0) }
        var accepted = 0
        for _ in 0..<5000 {
            var name = String((0..<Int.random(in: 0...80, using: &g)).map { _ in alphabet.randomElement(using: &g)! })
            if Int.random(in: 0..<10, using: &g) == 0 { name += "sk-fuzz-key-0123456789" }
            guard let problem = SessionName.problem(name) else {
                accepted += 1
                #expect(!name.isEmpty && name.count <= SessionName.maxLength)
                #expect(name.allSatisfy { $0.isLetter || $0.isNumber || "-_.:@+".contains($0) })
                #expect(!name.contains("sk-fuzz-key-0123456789"))
                continue
            }
            #expect(!problem.contains("sk-fuzz-key-0123456789") && !problem.contains("\u{1B}") && !problem.contains("\u{0}"))
        }
        #expect(accepted > 200, "accepted \(accepted)")
    }

    @Test func benchOptionsAreRefusedAsUsageOrKeptWithinBounds() {
        var g = SeededRandom(seed: 29)
        var accepted = 0
        for _ in 0..<3000 {
            let args = ArgvFuzzTests.argv(BenchCommand.spec, using: &g)
            guard let parsed = try? ArgumentParser(spec: BenchCommand.spec).parse(args) else { continue }
            do {
                let s = try BenchCommand.settings(parsed)
                accepted += 1
                if let n = s.load.requests { #expect(n >= 1) }
                if case .closed(let c) = s.load.loop { #expect(c >= 1) }
                if case .open(let rate, _, let cap) = s.load.loop { #expect(rate > 0 && rate.isFinite && (cap ?? 1) >= 1) }
                if let d = s.load.duration { #expect(d > 0 && d.isFinite) }
                #expect(s.workload.maxTokens >= 1)
            } catch {
                #expect([.usage, .input].contains(error.kind), "\(args): \(error.message)")
                #expect(!error.message.isEmpty)
            }
        }
        #expect(accepted > 100, "accepted \(accepted)")
    }

    @Test func prompsFilesAreReadOrRefusedWithTheirLine() throws {
        let dir = NSTemporaryDirectory() + "llmr-prompts-fuzz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = ["\"plain\"", "{\"prompt\": \"p\"}", "{\"messages\": [{\"role\": \"user\", \"content\": \"m\"}]}",
                     "[{\"role\": \"system\", \"content\": \"s\"}]", "", "   ", "{", "not json", "{\"messages\": []}",
                     "[{\"role\": \"robot\", \"content\": \"x\"}]", "42", "\"\\u0000\"", "{\"prompt\": 7}"]
        var g = SeededRandom(seed: 31)
        var read = 0
        for i in 0..<400 {
            let count = Int.random(in: 0...8, using: &g)
            let chosen = (0..<count).map { _ in lines.randomElement(using: &g)! }
            let newline = Bool.random(using: &g) ? "\r\n" : "\n"
            var bytes = Array(chosen.joined(separator: newline).utf8)
            if Int.random(in: 0..<8, using: &g) == 0 { bytes.insert(0xFF, at: Int.random(in: 0...bytes.count, using: &g)) }
            let path = dir + "/p\(i).jsonl"
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            do {
                let prompts = try BenchWorkload.prompts(file: path)
                read += 1
                #expect(!prompts.isEmpty && prompts.allSatisfy { !$0.isEmpty })
            } catch {
                #expect(error.kind == .input, "\(error.message)")
                // A line it names is one the file has.
                if let n = error.message.split(separator: ":").dropFirst().first.flatMap({ Int($0) }) {
                    #expect(n >= 1 && n <= max(1, chosen.count), "\(error.message) for \(chosen.count) lines")
                }
            }
        }
        #expect(read > 20, "read \(read)")
    }
}
