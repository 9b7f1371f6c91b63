import ArgumentParser
import Foundation
import PalmtopEngine
import PalmtopPrompts

/// `bench --draft prompt-lookup`: greedy decoding speed on a shipped few-shot prompt's first dev items,
/// without drafting and with it, the share of draft tokens accepted, and whether the outputs agree.
struct DraftBenchmark {
    let promptName: String
    let items: Int
    let repetitions: Int
    let draft: DraftSettings

    struct Result {
        var plain: (mean: Double, deviation: Double)
        var drafted: (mean: Double, deviation: Double)
        var stats: DraftStats
        var generatedTokens: Int
        var identical: Bool
        var speedup: Double { plain.mean > 0 ? drafted.mean / plain.mean : 0 }
    }

    func run(model: Model, contextLimit: Int) throws -> Result {
        let prompt = try PromptFile.load(nameOrPath: promptName)
        let inputs = Array(try prompt.loadDevSet().prefix(items)).map(\.input)
        guard !inputs.isEmpty else { throw ValidationError("--draft-prompt \(promptName) has no dev items to run") }
        var settings = prompt.sampling
        settings.temperature = 0
        let backend = LocalBackend(model: model, contextLimit: contextLimit)
        /// One pass over the items: decode tokens per second (after each reply's first token), the
        /// replies, and the drafting counts.
        func pass(_ mode: DraftSettings) throws -> (rate: Double, texts: [String], stats: DraftStats, tokens: Int) {
            backend.draft = mode
            var tokens = 0, seconds = 0.0, texts: [String] = [], stats = DraftStats()
            for input in inputs {
                // Each reply from a cold cache, so the two runs see the same prompt passes (a fast pass over
                // a reused prefix's suffix rounds differently from one over the whole prompt).
                backend.reset()
                let summary = try backend.generate(GenerationRequest(prompt: prompt.backendPrompt(query: input, on: backend), settings: settings,
                                                                     topN: 1)) { _ in true }
                tokens += summary.generatedTokens
                seconds += summary.decodeSeconds
                texts.append(summary.text)
                if let d = summary.draft {
                    stats.proposed += d.proposed
                    stats.accepted += d.accepted
                    stats.passes += d.passes
                }
            }
            return (Double(tokens - inputs.count) / max(seconds, 1e-9), texts, stats, tokens)
        }
        var plainRates: [Double] = [], draftedRates: [Double] = []
        var identical = true, stats = DraftStats(), generated = 0
        // The first round warms caches and the thread pool, as in the other tests.
        for round in 0...repetitions {
            let plain = try pass(.off), drafted = try pass(draft)
            identical = identical && plain.texts == drafted.texts
            guard round > 0 else { continue }
            plainRates.append(plain.rate)
            draftedRates.append(drafted.rate)
            stats = drafted.stats
            generated = drafted.tokens
        }
        return Result(plain: meanAndDeviation(plainRates), drafted: meanAndDeviation(draftedRates), stats: stats,
                      generatedTokens: generated, identical: identical)
    }
}
