import Foundation
import PalmtopBigBench
import PalmtopEngine
import PalmtopPrompts

/// A finished dev-set run's score as the editor shows it.
public struct DevScore: Equatable, Sendable {
    /// On a 0–100 scale: accuracy in percent, or the BIG-bench metric on BIG-bench's scale.
    let value: Double
    let items: Int
    /// "4/4 correct (100.0%)", or "multiple_choice_grade 40.0 over 10 queries (chance 25.0)".
    let summary: String
    /// "%" for an accuracy, "" for a BIG-bench score.
    let unit: String

    func formatted(_ v: Double) -> String { String(format: "%.1f", v) + unit }
}

/// Where the editor's dev set comes from and how it is scored: the prompt's own dev file by the
/// library's rules, or a BIG-bench task's queries by BIG-bench's protocol.
protocol DevSet: Sendable {
    var count: Int { get }
    /// What the dev set is, for the editor's facts line.
    var note: String { get }
    /// Why this dev set cannot run on `backend` (nil when it can).
    func limitation(for prompt: PromptFile, on backend: ModelBackend) -> String?
    /// Runs `prompt` over the dev set on the engine thread; stops before the next item once `shouldStop()`.
    func run(_ prompt: PromptFile, on backend: ModelBackend, shouldStop: @escaping @Sendable () -> Bool, onItem: (EvalItemResult) -> Void) throws -> DevScore
}

/// A prompt file's own dev set (`dev:`), scored by exact match or rank classification.
struct FileDevSet: DevSet {
    let items: [DevItem]

    var count: Int { items.count }
    var note: String { "dev set \(items.count) items" }

    func limitation(for prompt: PromptFile, on backend: ModelBackend) -> String? {
        prompt.scoring == .rankChoices && !backend.capabilities.scoring ? backend.capabilities.scoringLimitation ?? "this backend cannot score choices" : nil
    }

    /// Generative items run several at a time on the batched engine; results arrive in dev-set order.
    func run(_ prompt: PromptFile, on backend: ModelBackend, shouldStop: @escaping @Sendable () -> Bool, onItem: (EvalItemResult) -> Void) throws -> DevScore {
        var evaluator = Evaluator(prompt: prompt, backend: backend)
        evaluator.shouldStop = shouldStop
        var correct = 0, done = 0
        do {
            _ = try evaluator.run(items: items) { r in
                if r.correct { correct += 1 }
                done += 1
                onItem(r)
            }
        } catch EngineError.cancelled where shouldStop() {
            // Esc: the items finished so far stand, as "stopped early".
        }
        let accuracy = done > 0 ? Double(correct) / Double(done) * 100 : 0
        return DevScore(value: accuracy, items: done, summary: String(format: "%d/%d correct (%.1f%%)", correct, done, accuracy), unit: "%")
    }
}

/// A BIG-bench task's dev set: the first of its other examples in the order BIG-bench draws
/// queries (as many as the editor's `+` and `-` chose), scored by its own metric.
struct BigBenchDevSet: DevSet {
    let live: BigBenchLivePrompt

    var count: Int { live.devCount }
    var note: String {
        let which = live.devCount == live.available ? "all \(live.available) other examples" : "the first \(live.devCount) of \(live.available) other examples"
        return "dev set: \(which), scored by \(live.metric)"
    }

    func limitation(for prompt: PromptFile, on backend: ModelBackend) -> String? {
        guard live.isMultipleChoice, !backend.capabilities.scoringApart else { return nil }
        return backend.capabilities.scoringApartLimitation
    }

    func run(_ prompt: PromptFile, on backend: ModelBackend, shouldStop: @escaping @Sendable () -> Bool, onItem: (EvalItemResult) -> Void) throws -> DevScore {
        var itemScores: [Double] = []
        do {
            let score = try live.run(prompt, model: BackendBigBenchModel(backend: backend), shouldStop: shouldStop) { r in
                itemScores.append(r.score)
                let choiceScores = zip(r.choices ?? [], r.logprobs ?? []).map { ChoiceScore(choice: $0, tokenCount: 0, sumLogprob: Float($1)) }
                onItem(EvalItemResult(index: r.index, input: live.input(of: r), expected: r.targets.first ?? "", predicted: r.prediction,
                                      correct: r.score >= 1, generated: r.rawOutput, choiceScores: choiceScores.isEmpty ? nil : choiceScores))
            }
            return DevScore(value: score.score, items: score.items,
                            summary: "\(score.metric) " + String(format: "%.1f over %d queries (chance %.1f)", score.score, score.items, score.chance), unit: "")
        } catch EngineError.cancelled where shouldStop() {
            // Esc cut a query short: the queries finished stand, their metric the mean of their scores.
            let value = itemScores.isEmpty ? 0 : itemScores.reduce(0, +) / Double(itemScores.count) * 100
            return DevScore(value: value, items: itemScores.count,
                            summary: "\(live.metric) " + String(format: "%.1f over %d queries", value, itemScores.count), unit: "")
        }
    }
}
