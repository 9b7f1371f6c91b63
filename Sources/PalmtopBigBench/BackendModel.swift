import PalmtopEngine

/// Any backend as a BIG-bench model — the in-process engine (`LocalBackend`: its one session keeps the
/// KV cache from scored item to item, its batched engine generates) or a server — for `palmtop eval
/// bigbench:…` and the REPL's library.
///
/// Multiple choice is `scoreApart`: the prompt and each target tokenized separately and the ids
/// concatenated, as BIG-bench's reference harness does (`_gpt_batch_tokenize`: `tokenizer(input) +
/// tokenizer(target)`), so every choice is conditioned on exactly the prompt's tokens — in-process by
/// Palmtop's tokenizer, on a server that scores (vLLM, SGLang, llama-cpp-python) by the server's, the
/// ids sent back to it to score; a backend that cannot (llama-server) throws the one line saying why. Generation is greedy and works on any backend. Task
/// text is never parsed for special tokens.
public final class BackendBigBenchModel: BigBenchModel {
    public let backend: ModelBackend

    public init(backend: ModelBackend) { self.backend = backend }

    public func logprobs(prompt: String, targets: [String]) throws -> [Double] {
        try backend.scoreApart(prompt: prompt, continuations: targets)
    }

    /// Greedy, through `generateBatch`: in-process the batched engine (the prefix every prompt shares
    /// computed once), on a server concurrent requests. A reply ends as soon as `settled` says so.
    public func generate(prompts: [String], maxTokens: Int, parallel: Int, settled: (String) -> Bool,
                         onReply: (Int, String) -> Void) throws {
        var settings = SamplingSettings.greedy
        settings.maxTokens = maxTokens
        let requests = try prompts.map { GenerationRequest(prompt: try input($0), settings: settings, topN: 0) }
        try withoutActuallyEscaping(settled) { settled in
            try withoutActuallyEscaping(onReply) { onReply in
                // generateBatch never runs two callbacks at once and returns only after the last, so the
                // callers' closures and the texts so far can cross into its `@Sendable` ones.
                let state = UncheckedBox((settled: settled, onReply: onReply, texts: [String](repeating: "", count: prompts.count)))
                // A server backend's lane threads may release their callbacks just after generateBatch
                // returns: emptying the box first leaves none of them holding the callers' closures.
                defer { state.value = nil }
                _ = try backend.generateBatch(requests, parallel: parallel, onToken: { i, event in
                    guard state.value != nil else { return false }
                    state.value!.texts[i] += event.text
                    return !state.value!.settled(state.value!.texts[i])
                }, onFinished: { i, summary in state.value?.onReply(i, summary.text) })
            }
        }
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

/// Mutable state shared by callbacks that are only ever called one at a time (see `generate`).
private final class UncheckedBox<T>: @unchecked Sendable {
    var value: T?
    init(_ value: T) { self.value = value }
}
