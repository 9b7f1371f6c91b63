import PalmtopEngine

/// Any backend as a BIG-bench model — the in-process engine (`LocalBackend`, whose one session keeps
/// the KV cache from item to item) or a server — for `palmtop eval bigbench:…` and the REPL's library.
///
/// Multiple choice is `scoreApart`: the prompt and each target tokenized separately and the ids
/// concatenated, as BIG-bench's reference harness does (`_gpt_batch_tokenize`: `tokenizer(input) +
/// tokenizer(target)`), so every choice is conditioned on exactly the prompt's tokens; a backend
/// that cannot throws the one line saying why. Generation is greedy and works on any backend. Task
/// text is never parsed for special tokens.
public final class BackendBigBenchModel: BigBenchModel {
    public let backend: ModelBackend

    public init(backend: ModelBackend) { self.backend = backend }

    public func logprobs(prompt: String, targets: [String]) throws -> [Double] {
        try backend.scoreApart(prompt: prompt, continuations: targets)
    }

    /// Greedy, at most `maxTokens` tokens.
    public func generate(prompt: String, maxTokens: Int, settled: (String) -> Bool) throws -> String {
        var settings = SamplingSettings.greedy
        settings.maxTokens = maxTokens
        var text = ""
        let summary = try backend.generate(GenerationRequest(prompt: try input(prompt), settings: settings, topN: 0)) { event in
            text += event.text
            return !settled(text)
        }
        return summary.text
    }

    /// BIG-bench gives its model a start-of-text token to continue an empty prompt from; the
    /// backend's tokens for the empty text (its BOS) are that token.
    private func input(_ prompt: String) throws -> BackendPrompt {
        guard prompt.isEmpty else { return .text(prompt, special: false) }
        let start = try backend.tokenize("", parseSpecial: false)
        guard !start.isEmpty else {
            throw BigBenchError("a query's prompt is empty and \(backend.modelName) adds no start-of-text token to generate from")
        }
        return .tokens(start)
    }
}
