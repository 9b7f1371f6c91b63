import XCTest
import PalmtopEngine
import PalmtopSampling
import PalmtopTestSupport
import PalmtopPrompts

/// Speculative output equals plain greedy on every shipped prompt: each prompt's first dev items (its
/// own sampling when greedy; a greedy 32-token continuation for rank-choice prompts) on both default
/// models, generated with prompt-lookup drafting and without.
final class DraftedPromptsTests: XCTestCase {
    var library: URL { TestSupport.packageRoot.appendingPathComponent("prompts") }

    func testSpeculativeOutputEqualsPlainGreedyOnEveryShippedPrompt() throws {
        var accepted = 0
        for name in PromptLibrary.names(in: library) {
            let prompt = try PromptFile.load(nameOrPath: library.appendingPathComponent("\(name).yaml").path)
            var settings = prompt.sampling
            if prompt.scoring == .rankChoices || settings.temperature != 0 {
                settings = .greedy
                settings.maxTokens = 32
            }
            let items = Array(try prompt.loadDevSet().prefix(prompt.scoring == .exactMatch ? 3 : 1))
            for modelName in TestSupport.defaultModels {
                let model = try TestSupport.model(modelName)
                let plain = LocalBackend(model: model, contextLimit: 2048), drafted = LocalBackend(model: model, contextLimit: 2048)
                plain.draft = .off
                for item in items {
                    let label = "\(name) on \(modelName), input \(item.input.prefix(30).debugDescription)"
                    let a = try run(plain, prompt.backendPrompt(query: item.input, on: plain), settings)
                    let b = try run(drafted, prompt.backendPrompt(query: item.input, on: drafted), settings)
                    XCTAssertEqual(b.events.map(\.id), a.events.map(\.id), label)
                    XCTAssertEqual(b.summary.text, a.summary.text, label)
                    XCTAssertEqual(b.summary.stopReason, a.summary.stopReason, label)
                    for (x, y) in zip(a.events, b.events) {
                        XCTAssertEqual(x.logprob, y.logprob, accuracy: 1e-4, "\(label) at \(x.position)")
                        XCTAssertEqual(x.entropy ?? 0, y.entropy ?? 0, accuracy: 1e-4, "\(label) at \(x.position)")
                    }
                    XCTAssertNil(a.summary.draft)
                    accepted += b.summary.draft?.accepted ?? 0
                }
            }
        }
        XCTAssertGreaterThan(accepted, 0, "some drafts were accepted, so the comparison covered verified rows")
    }

    private func run(_ backend: LocalBackend, _ prompt: BackendPrompt, _ settings: SamplingSettings) throws -> (events: [TokenEvent], summary: GenerationSummary) {
        var events: [TokenEvent] = []
        let summary = try backend.generate(GenerationRequest(prompt: prompt, settings: settings, topN: 1)) { events.append($0); return true }
        return (events, summary)
    }
}
