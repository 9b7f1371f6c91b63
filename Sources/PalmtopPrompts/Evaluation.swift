import Foundation
import PalmtopEngine

/// The outcome of one dev item.
public struct EvalItemResult: Sendable {
    public var index: Int
    public var input: String
    public var expected: String
    public var predicted: String
    public var correct: Bool
    /// Generated text (exact-match) or per-choice scores (rank-choices).
    public var generated: String?
    public var choiceScores: [ChoiceScore]?

    public init(index: Int, input: String, expected: String, predicted: String, correct: Bool, generated: String?, choiceScores: [ChoiceScore]?) {
        self.index = index; self.input = input; self.expected = expected; self.predicted = predicted
        self.correct = correct; self.generated = generated; self.choiceScores = choiceScores
    }
}

/// Accuracy over a dev set, with how much of the prompt the KV cache served.
public struct EvalSummary: Sendable {
    public var correct: Int
    public var total: Int
    public var method: ScoringMethod
    public var promptTokensReused: Int
    public var promptTokensComputed: Int
    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }
}

/// Runs a prompt's dev set the way the PaLM paper scores: exact match on the extracted answer of a
/// greedy generation, or rank classification of the choices by summed log-probability. Items run in
/// order on one backend sequence, so the shared exemplar prefix is computed once (in-process).
public struct Evaluator {
    public let prompt: PromptFile
    public let backend: ModelBackend

    public init(prompt: PromptFile, backend: ModelBackend) {
        self.prompt = prompt
        self.backend = backend
    }

    public func run(items: [DevItem], onItem: (EvalItemResult) -> Void = { _ in }) throws -> EvalSummary {
        if prompt.scoring == .rankChoices, let why = backend.capabilities.scoringLimitation { throw BackendError(why) }
        let before = backend.tokenTotals
        var correct = 0
        for (i, item) in items.enumerated() {
            let result = try evaluate(item, index: i)
            if result.correct { correct += 1 }
            onItem(result)
        }
        let after = backend.tokenTotals
        return EvalSummary(correct: correct, total: items.count, method: prompt.scoring,
                           promptTokensReused: (after?.reused ?? 0) - (before?.reused ?? 0),
                           promptTokensComputed: (after?.computed ?? 0) - (before?.computed ?? 0))
    }

    public func evaluate(_ item: DevItem, index: Int) throws -> EvalItemResult {
        switch prompt.scoring {
        case .exactMatch:
            let request = GenerationRequest(prompt: prompt.backendPrompt(query: item.input, on: backend), settings: prompt.sampling, topN: 1)
            let summary = try backend.generate(request) { _ in true }
            let predicted = prompt.extractor?.extract(summary.text) ?? ""
            let expected = item.output ?? ""
            let ok = AnswerExtractor.normalize(predicted) == AnswerExtractor.normalize(expected)
            return EvalItemResult(index: index, input: item.input, expected: expected, predicted: predicted, correct: ok,
                                  generated: summary.text, choiceScores: nil)
        case .rankChoices:
            let choices = item.choices ?? []
            let text = prompt.render(query: item.input, chatTemplate: backend.chatTemplate)
            let scores = try backend.score(prompt: text, choices: choices.map(prompt.choiceText))
            let best = scores.indices.max { scores[$0].sumLogprob < scores[$1].sumLogprob } ?? 0
            let predicted = choices.isEmpty ? "" : choices[best]
            return EvalItemResult(index: index, input: item.input, expected: item.answer ?? "", predicted: predicted,
                                  correct: predicted == item.answer, generated: nil, choiceScores: scores)
        }
    }
}
