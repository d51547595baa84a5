import Testing
@testable import CLI
import RouterCore

/// Thousands of command lines built from the options `--help` lists, with
/// hostile values, through parsing, the shared request options, planning and
/// the cost and window checks — in process, nothing sent. None may trap, and
/// every refusal is a usage, input or config error.
@Suite struct ArgvFuzzTests {
    static let values = ["", " ", "0", "-0", "1", "-1", "1.5", "1e300", "-1e300", "1e13", "nan", "inf", "-inf",
                         "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615",
                         "99999999999999999999999", "0x10", "1_000", "30 s", "1e19s", "24h", "1d", "—", "日本語", "🦙",
                         "a\u{0}b", "--", "-", "=", "default", "deepseek-v4", "openai/gpt-5", "p/x", "always", "never"]
    static let words = ["hello", "-", "--", "--json", "-v", "-vh", "--frobnicate", "--max-tokens=", "--seed=-1", "x".padding(to: 300)]

    static let config: Config = {
        do { return try ConfigLoader.load(yaml: DefaultConfig.yaml, source: DefaultConfig.source) } catch { fatalError("\(error)") }
    }()

    /// One random command line for `spec`.
    static func argv<G: RandomNumberGenerator>(_ spec: CommandSpec, using g: inout G) -> [String] {
        var args: [String] = []
        for _ in 0..<Int.random(in: 0...6, using: &g) {
            switch Int.random(in: 0..<10, using: &g) {
            case 0..<6:
                let o = spec.options.randomElement(using: &g)!
                let value = values.randomElement(using: &g)!
                let name = Bool.random(using: &g) || o.short == nil ? "--\(o.long)" : "-\(o.short!)"
                if o.value == nil { args.append(name) }
                else if Bool.random(using: &g), name.hasPrefix("--") { args.append("\(name)=\(value)") }
                else { args += [name, value] }
            case 6..<9: args.append(words.randomElement(using: &g)!)
            default: args.append(values.randomElement(using: &g)!)
            }
        }
        return args
    }

    @Test(arguments: [AskCommand.spec, RouteCommand.spec])
    func requestCommandLinesNeverTrap(_ spec: CommandSpec) throws {
        var g = SeededRandom(seed: 8)
        let terminal = Terminal(stdinIsTTY: true, stdoutIsTTY: false, stderrIsTTY: false, environment: [:])
        let router = Router(transport: ScriptedNothing(), wires: [:], keys: NoKeys())
        var accepted = 0
        for _ in 0..<3000 {
            let args = Self.argv(spec, using: &g)
            guard let parsed = try? ArgumentParser(spec: spec).parse(args) else { continue }
            let input: RequestInput
            do { input = try RequestInput(parsed, terminal: terminal, promptRequired: false) } catch {
                #expect([ExitCode.usage, .dataError].contains(ExitCode(error.kind)), "\(args): \(error.message)")
                continue
            }
            var rng = RequestRandom(seed: input.seed)
            let plan: Plan
            do { plan = try Planner(config: Self.config).plan(input.request, selection: input.selection, using: &rng) } catch {
                continue
            }
            accepted += 1
            _ = RouteCommand.usd(input.maxCost)
            var limited = router
            limited.maxCost = input.maxCost
            for c in plan.candidates {
                _ = limited.availability(of: c, request: input.request)
                _ = RouteCommand.usd(Planner.worstCase(input.request, c.model))
            }
        }
        #expect(accepted > 100, "the fuzzer should reach planning often (\(accepted))")
    }

    /// Every numeric option of `providers` either takes a value within its
    /// bounds or is refused with a usage error that names the option and the value.
    @Test func providersCommandLinesNeverTrap() {
        var g = SeededRandom(seed: 9)
        var accepted = 0, refused = 0
        for _ in 0..<3000 {
            let args = Self.argv(ProvidersCommand.spec, using: &g)
            guard let parsed = try? ArgumentParser(spec: ProvidersCommand.spec).parse(args) else { continue }
            func check<T>(_ name: String, _ read: () throws(UsageError) -> T?, within: (T) -> Bool) {
                do {
                    guard let v = try read() else { return }
                    #expect(within(v), "--\(name) \(parsed.value(name) ?? "") gave \(v)")
                    accepted += 1
                } catch {
                    #expect(error.message.hasPrefix("--\(name) needs "), "\(error.message)")
                    #expect(error.message.hasSuffix("'\(parsed.value(name) ?? "")'"), "\(error.message)")
                    refused += 1
                }
            }
            check("count", { () throws(UsageError) in try parsed.int("count", 1...1_000_000_000) }) { (1...1_000_000_000).contains($0) }
            check("since", { () throws(UsageError) in try parsed.age("since") }) { $0 > 0 && $0 <= ParsedArguments.ageLimit }
            check("older-than", { () throws(UsageError) in try parsed.age("older-than") }) { $0 > 0 && $0 <= ParsedArguments.ageLimit }
        }
        // The fuzz must reach both sides of every check, or it proves nothing.
        #expect(accepted > 50, "values accepted: \(accepted)")
        #expect(refused > 50, "values refused: \(refused)")
    }
}

/// A transport for tests that must never send.
struct ScriptedNothing: HTTPTransport {
    func send(_ request: HTTPRequest) -> HTTPResponseStream {
        Issue.record("the fuzz sent a request to \(request.url)")
        return HTTPResponseStream(AsyncThrowingStream { $0.finish(throwing: TransportFailure.connectionRefused("nothing is sent here")) })
    }
}

/// Every provider has a key; none is looked up in the environment.
struct NoKeys: KeySource {
    func key(for provider: ProviderConfig) -> KeyLookup { .key("fuzz-key-0000") }
}
