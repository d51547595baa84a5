import Testing
@testable import Engine
import RouterCore

@Suite struct BenchWorkloadTests {
    func workload(shared: Bool = false, seed: UInt64 = 42) -> BenchWorkload {
        BenchWorkload(prompts: nil, promptTokens: 256, system: nil, maxTokens: 64, temperature: nil, sharedPrefix: shared, seed: seed)
    }

    /// The prompts as the first release of bench built them, word by word:
    /// the same seed must keep giving the same prompts.
    func firstRelease(_ w: BenchWorkload, index: Int, target: Int) -> String {
        var rng = SeededRandom(seed: w.seed &+ UInt64(target) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index))
        let prefix = w.sharedPrefix ? "" : "[\(String(rng.next(), radix: 16))] "
        var text = "Write about the following words: "
        while text.utf8.count < w.promptTokens * 4 {
            text += BenchWorkload.words[Int(rng.next() % UInt64(BenchWorkload.words.count))] + " "
        }
        return prefix + text
    }

    @Test func syntheticPromptsAreReproducibleAndDifferPerRequest() {
        let w = workload()
        var seen = Set<String>()
        for target in 0..<3 {
            for index in 0..<50 {
                let text = w.request(index, target: target).messages.last?.content ?? ""
                #expect(text == firstRelease(w, index: index, target: target))
                #expect(text.hasPrefix("["))
                #expect((1024..<1024 + 40).contains(text.utf8.count))
                seen.insert(text)
            }
        }
        #expect(seen.count == 150)
        #expect(workload(seed: 43).request(0, target: 0).messages.last?.content != w.request(0, target: 0).messages.last?.content)
    }

    @Test func aSharedPrefixLeavesTheRandomPrefixOut() {
        let w = workload(shared: true)
        let text = w.request(3, target: 1).messages.last?.content ?? ""
        #expect(text == firstRelease(w, index: 3, target: 1))
        #expect(text.hasPrefix("Write about the following words: "))
    }
}
