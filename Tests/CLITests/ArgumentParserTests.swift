import Testing
@testable import CLI
import RouterCore

@Suite struct ArgumentParserTests {
    let parser = ArgumentParser(spec: AskCommand.spec)

    func error(_ args: [String]) -> String? {
        do {
            _ = try parser.parse(args)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func tokensKeepTheirPositions() {
        #expect(SplitArguments.split(["-m", "x", "--json", "--model=y", "-", "--", "-v"]) == [
            .short(letters: "m", index: 0), .value("x", index: 1), .long(name: "json", value: nil, index: 2),
            .long(name: "model", value: "y", index: 3), .value("-", index: 4), .terminator(index: 5), .value("-v", index: 6),
        ])
    }

    @Test func bothValueForms() throws {
        let a = try parser.parse(["--model", "gpt-5", "hello", "world"])
        let b = try parser.parse(["--model=gpt-5", "hello", "world"])
        #expect(a == b)
        #expect(a.value("model") == "gpt-5")
        #expect(a.positionals == ["hello", "world"])
    }

    @Test func shortFlagsAndClusters() throws {
        let p = try parser.parse(["-vmgpt-5", "-s", "be brief", "q"])
        #expect(p.has("verbose"))
        #expect(p.value("model") == "gpt-5")
        #expect(p.value("system") == "be brief")
    }

    @Test func terminatorEndsOptions() throws {
        let p = try parser.parse(["--json", "--", "--not-an-option", "-v"])
        #expect(p.positionals == ["--not-an-option", "-v"])
        #expect(!p.has("verbose"))
    }

    @Test func valueMayLookLikeAnOption() throws {
        #expect(try parser.parse(["-s", "-be terse-"]).value("system") == "-be terse-")
        #expect(try parser.parse(["--temperature", "-0.5"]).value("temperature") == "-0.5")
        #expect(try parser.parse(["-", "x"]).positionals == ["-", "x"])
    }

    @Test func unknownLongOptionSuggests() {
        #expect(error(["--modle", "x"]) == "unknown option '--modle' for 'ask' (did you mean '--model'?)")
        #expect(error(["--zzzzzz"]) == "unknown option '--zzzzzz' for 'ask'")
    }

    @Test func unknownShortOption() {
        #expect(error(["-q"])?.hasPrefix("unknown option '-q' for 'ask'") == true)
    }

    @Test func missingValue() {
        #expect(error(["--model"]) == "option '--model' needs a value (MODEL)")
        #expect(error(["-m"]) == "option '-m' needs a value (MODEL)")
        #expect(error(["--model", "--"]) == "option '--model' needs a value (MODEL)")
    }

    @Test func flagWithValue() {
        #expect(error(["--json=yes"]) == "option '--json' takes no value")
    }

    @Test func repeatedOptionKeepsTheLast() throws {
        #expect(try parser.parse(["-m", "a", "-m", "b"]).value("model") == "b")
    }

    @Test func helpListsEveryOption() {
        for o in AskCommand.spec.options { #expect(AskCommand.spec.help.contains("--\(o.long)")) }
    }

    @Test func unknownCommandIsAUsageError() async {
        #expect(await LLMR.main(["llmr", "aks"]) == 64)
        #expect(await LLMR.main(["llmr", "--frobnicate"]) == 64)
        #expect(await LLMR.main(["llmr", "ask", "--modle", "x"]) == 64)
        #expect(await LLMR.main(["llmr", "--version"]) == 0)
        #expect(await LLMR.main(["llmr", "help", "ask"]) == 0)
        #expect(await LLMR.main(["llmr", "help", "nope"]) == 64)
    }

    @Test func suggestions() {
        #expect(Suggest.nearest("aks", in: ["ask", "help"]) == "ask")
        #expect(Suggest.nearest("--modle", in: ["--model", "--max-tokens"]) == "--model")
        #expect(Suggest.nearest("zzz", in: ["ask"]) == nil)
    }

    @Test func invalidUTF8Offset() {
        #expect(RequestInput.firstInvalidUTF8(Array("abc".utf8)) == 3)
        #expect(RequestInput.firstInvalidUTF8([0x61, 0xC3, 0xA9, 0xFF, 0x62]) == 3)
        #expect(RequestInput.firstInvalidUTF8([0x61, 0xE2, 0x82]) == 1)
        #expect(RequestInput.firstInvalidUTF8([0xED, 0xA0, 0x80]) == 0) // a surrogate encoded in UTF-8
    }
}
