import Foundation
import PalmtopEngine

/// The outcome of one dev item.
public struct EvalItemResult: Sendable {
    public var index: Int
    public var input: String
    public var expected: String
    /// The answer scored: the extracted answer, the best choice, or the majority vote of the samples.
    public var predicted: String
    public var correct: Bool
    /// Generated text (exact-match; the first sample's under self-consistency) or per-choice scores (rank-choices).
    public var generated: String?
    public var choiceScores: [ChoiceScore]?
    /// Self-consistency: each sample's extracted answer, in sample order, and the vote.
    public var samples: [String]?
    public var votes: [AnswerVote]?
    /// Self-consistency: whether the first sample alone was right.
    public var firstSampleCorrect: Bool?
}

extension EvalItemResult {
    /// An item result made outside this module (a BIG-bench query in the REPL).
    public init(index: Int, input: String, expected: String, predicted: String, correct: Bool, generated: String?, choiceScores: [ChoiceScore]?) {
        self.init(index: index, input: input, expected: expected, predicted: predicted, correct: correct, generated: generated,
                  choiceScores: choiceScores, samples: nil, votes: nil, firstSampleCorrect: nil)
    }
}

/// How many samples gave one (normalized) answer.
public struct AnswerVote: Sendable, Equatable {
    public var answer: String
    public var count: Int
}

/// Accuracy over a dev set, with how much of the prompt the KV cache served.
public struct EvalSummary: Sendable {
    public var correct: Int
    public var total: Int
    public var method: ScoringMethod
    public var promptTokensReused: Int
    public var promptTokensComputed: Int
    /// Samples per item (1 without self-consistency) and, with more, how many items the first sample
    /// alone got right and the mean accuracy of a single sample.
    public var samples: Int = 1
    public var firstSampleCorrect: Int?
    public var meanSampleAccuracy: Double?
    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }
}

/// Runs a prompt's dev set the way the PaLM paper scores: exact match on the extracted answer of a
/// greedy generation, or rank classification of the choices by summed log-probability. Generative
/// items run `parallel` at a time on the backend's batched engine, whose shared exemplar prefix is
/// computed once; results come out in dev-set order whatever order the replies end in. With
/// self-consistency each item is sampled several times and its answers voted on.
public struct Evaluator: Sendable {
    public let prompt: PromptFile
    public let backend: ModelBackend
    /// Generative replies generated at once (rank-choice items run one after another).
    public var parallel: Int
    /// Overrides the prompt's own self-consistency (nil: as the prompt file says).
    public var selfConsistency: SelfConsistency?
    /// Checked between rank-choice items (a UI's Esc); generative runs stop through the backend's `cancel()`.
    public var shouldStop: @Sendable () -> Bool = { false }

    public init(prompt: PromptFile, backend: ModelBackend, parallel: Int = Evaluator.defaultParallel, selfConsistency: SelfConsistency? = nil) {
        self.prompt = prompt
        self.backend = backend
        self.parallel = max(1, parallel)
        self.selfConsistency = selfConsistency ?? prompt.selfConsistency
    }

    /// Sequences decoded together by default: decode reads every weight per step, so up to about eight
    /// sequences cost little more per step than one on a bandwidth-bound CPU (see BENCHMARKS.md).
    public static let defaultParallel = 8

    /// Samples per item.
    public var samplesPerItem: Int { max(1, selfConsistency?.samples ?? 1) }

    public func run(items: [DevItem], onItem: (EvalItemResult) -> Void = { _ in }) throws -> EvalSummary {
        if prompt.scoring == .rankChoices, let why = backend.capabilities.scoringLimitation { throw BackendError(why) }
        let before = backend.tokenTotals
        var results: [EvalItemResult] = []
        switch prompt.scoring {
        case .rankChoices:
            for (i, item) in items.enumerated() where !shouldStop() {
                let result = try rank(item, index: i)
                results.append(result)
                onItem(result)
            }
        case .exactMatch:
            results = try generateAll(items, onItem: onItem)
        }
        let after = backend.tokenTotals
        var summary = EvalSummary(correct: results.filter(\.correct).count, total: results.count, method: prompt.scoring,
                                  promptTokensReused: (after?.reused ?? 0) - (before?.reused ?? 0),
                                  promptTokensComputed: (after?.computed ?? 0) - (before?.computed ?? 0))
        if samplesPerItem > 1 {
            summary.samples = samplesPerItem
            summary.firstSampleCorrect = results.filter { $0.firstSampleCorrect == true }.count
            let right = results.map { r in Double((r.samples ?? []).filter { isCorrect($0, r.expected) }.count) }.reduce(0, +)
            summary.meanSampleAccuracy = results.isEmpty ? 0 : right / Double(results.count * samplesPerItem)
        }
        return summary
    }

    /// One item on its own (the REPL's query runs go through `run` too; this is for a single item).
    public func evaluate(_ item: DevItem, index: Int) throws -> EvalItemResult {
        switch prompt.scoring {
        case .rankChoices: return try rank(item, index: index)
        case .exactMatch: return try generateAll([item], onItem: { _ in }, firstIndex: index)[0]
        }
    }

    /// The requests of one item: one greedy (or as the prompt samples) reply, or one per sample at the
    /// self-consistency temperature, each with its own seed so the chains differ.
    public func requests(for item: DevItem) -> [GenerationRequest] {
        let query = prompt.backendPrompt(query: item.input, on: backend)
        guard let sc = selfConsistency, sc.samples > 1 else { return [GenerationRequest(prompt: query, settings: prompt.sampling, topN: 1)] }
        return (0..<sc.samples).map { s in
            var settings = prompt.sampling
            settings.temperature = sc.temperature
            settings.seed = settings.seed &+ UInt64(s)
            return GenerationRequest(prompt: query, settings: settings, topN: 1)
        }
    }

    private func generateAll(_ items: [DevItem], onItem: (EvalItemResult) -> Void, firstIndex: Int = 0) throws -> [EvalItemResult] {
        let perItem = samplesPerItem
        let requests = items.flatMap(requests(for:))
        let order = InOrderResults(items: items.count, perItem: perItem)
        return try withoutActuallyEscaping(onItem) { onItem in
            let deliver = UncheckedBox(onItem)
            // A server backend's lane threads may release their callbacks just after generateBatch returns;
            // emptying the box first means none of them still holds the caller's closure when this block ends.
            defer { deliver.value = nil }
            _ = try backend.generateBatch(requests, parallel: parallel, onToken: { _, _ in true }) { i, summary in
                for (item, texts) in order.add(i, summary.text, cancelled: summary.stopReason == .cancelled) {
                    let r = result(items[item], index: firstIndex + item, texts: texts)
                    order.released.append(r)
                    deliver.value?(r)
                }
            }
            return order.released
        }
    }

    /// An item's result from its replies' texts (one, or one per sample).
    func result(_ item: DevItem, index: Int, texts: [String]) -> EvalItemResult {
        let expected = item.output ?? ""
        let answers = texts.map { prompt.extractor?.extract($0) ?? "" }
        var r = EvalItemResult(index: index, input: item.input, expected: expected, predicted: answers[0],
                               correct: isCorrect(answers[0], expected), generated: texts[0], choiceScores: nil)
        guard answers.count > 1 else { return r }
        let votes = Self.vote(answers)
        r.samples = answers
        r.votes = votes
        r.predicted = votes.first?.answer ?? ""
        r.correct = isCorrect(r.predicted, expected)
        r.firstSampleCorrect = isCorrect(answers[0], expected)
        return r
    }

    /// Answers counted after normalization, most common first; ties go to the answer that came first.
    /// Empty answers (nothing extracted) get no vote unless nothing else was answered.
    public static func vote(_ answers: [String]) -> [AnswerVote] {
        var votes: [AnswerVote] = []
        for answer in answers {
            let key = AnswerExtractor.normalize(answer)
            if let i = votes.firstIndex(where: { AnswerExtractor.normalize($0.answer) == key }) { votes[i].count += 1 } else {
                votes.append(AnswerVote(answer: answer, count: 1))
            }
        }
        let answered = votes.filter { !AnswerExtractor.normalize($0.answer).isEmpty }
        let ranked = (answered.isEmpty ? votes : answered).enumerated().sorted { ($0.element.count, -$0.offset) > ($1.element.count, -$1.offset) }
        return ranked.map(\.element)
    }

    private func isCorrect(_ predicted: String, _ expected: String) -> Bool {
        AnswerExtractor.normalize(predicted) == AnswerExtractor.normalize(expected)
    }

    private func rank(_ item: DevItem, index: Int) throws -> EvalItemResult {
        let choices = item.choices ?? []
        let text = prompt.render(query: item.input, chatTemplate: backend.chatTemplate)
        let scores = try backend.score(prompt: text, choices: choices.map(prompt.choiceText))
        let best = scores.indices.max { scores[$0].sumLogprob < scores[$1].sumLogprob } ?? 0
        let predicted = choices.isEmpty ? "" : choices[best]
        return EvalItemResult(index: index, input: item.input, expected: item.answer ?? "", predicted: predicted,
                              correct: predicted == item.answer, generated: nil, choiceScores: scores)
    }
}

/// Replies' texts gathered per item as they end (in any order), released item by item in dev-set
/// order as soon as every item before is complete. A cancelled reply (Esc, Ctrl-C) ends the run
/// there: its item and those after are never released, so a stopped run scores only what it finished.
/// Callers are serialized by the batch (one callback at a time).
private final class InOrderResults: @unchecked Sendable {
    private let perItem: Int
    private var texts: [[String?]]
    private var next = 0
    private var stopped = false
    /// The results released so far, in dev-set order.
    var released: [EvalItemResult] = []

    init(items: Int, perItem: Int) {
        self.perItem = perItem
        texts = Array(repeating: Array(repeating: nil, count: perItem), count: items)
    }

    /// Records reply `request`'s text; returns the items now complete in order, not released before.
    func add(_ request: Int, _ text: String, cancelled: Bool) -> [(Int, [String])] {
        if cancelled { stopped = true }
        texts[request / perItem][request % perItem] = text
        var ready: [(Int, [String])] = []
        while !stopped, next < texts.count, texts[next].allSatisfy({ $0 != nil }) {
            ready.append((next, texts[next].map { $0! }))
            next += 1
        }
        return ready
    }
}

/// Carries a callback that is only ever called under the batch's own serialization into a
/// `@Sendable` closure.
private final class UncheckedBox<T>: @unchecked Sendable {
    var value: T?
    init(_ value: T) { self.value = value }
}
