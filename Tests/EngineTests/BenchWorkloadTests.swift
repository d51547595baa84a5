import Testing
@testable import Engine
import RouterCore

@Suite struct BenchWorkloadTests {
    func workload(shared: Bool = false, seed: UInt64 = 42) -> BenchWorkload {
        BenchWorkload(prompts: nil, promptTokens: 256, system: nil, maxTokens: 64, temperature: nil, sharedPrefix: shared, seed: seed)
    }

    /// The prompts built word by word, as bench has built them since seeds
    /// were mixed: the same seed must keep giving the same prompts.
    func firstRelease(_ w: BenchWorkload, index: Int, target: Int) -> String {
        var rng = SeededRandom(seed: BenchWorkload.requestSeed(w.seed, target: target, index: index))
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

    /// Seeds S and S+1 share no prompt: back-to-back runs do not meet a prompt cache.
    @Test func neighbouringSeedsGiveIndependentPrompts() {
        for seed: UInt64 in [0, 7, 42, 1 << 40] {
            let a = workload(seed: seed), b = workload(seed: seed + 1)
            let first = Set((0..<2).flatMap { t in (0..<200).map { a.request($0, target: t).messages.last?.content ?? "" } })
            let second = Set((0..<2).flatMap { t in (0..<200).map { b.request($0, target: t).messages.last?.content ?? "" } })
            #expect(first.count == 400 && second.count == 400)
            #expect(first.isDisjoint(with: second), "seed \(seed)")
        }
    }

    @Test func aSharedPrefixLeavesTheRandomPrefixOut() {
        let w = workload(shared: true)
        let text = w.request(3, target: 1).messages.last?.content ?? ""
        #expect(text == firstRelease(w, index: 3, target: 1))
        #expect(text.hasPrefix("Write about the following words: "))
    }
}
