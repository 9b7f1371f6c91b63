import Foundation
import PalmtopEngine

/// Prompt log-probabilities from a server, as lm-evaluation-harness's `local-completions` gets them:
/// `/v1/completions` with the prompt as token ids, `echo: true`, `logprobs`, greedy and one token
/// (llama-cpp-python reads `max_tokens` ≤ 0 as unlimited), summing the choice's positions; on vLLM,
/// `prompt_logprobs` with the same request is the cheaper route. Choices are tokenized with the
/// prompt, and a choice's tokens are those after the longest common prefix, as in-process.
/// BIG-bench's multiple choice (`scoreApart`) sends the same request with the prompt and each
/// continuation tokenized apart by the server and the ids concatenated.
struct RemoteScoring {
    let backend: RemoteBackend

    private func tokenize(_ text: String, parseSpecial: Bool = true) async throws -> [Int] {
        let b = backend
        return try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try b.tokenize(text, parseSpecial: parseSpecial) }) }.start()
        }
    }

    /// Each position's log-probability given the tokens before it (nil for the first), with alternatives.
    private func echo(_ tokens: [Int], topN: Int) async throws -> [(logprob: Double?, top: [TokenAlternative])] {
        var o: [String: JSONValue] = [
            "model": .string(backend.modelName), "prompt": .array(tokens.map { .number(Double($0)) }), "max_tokens": .number(1),
            "temperature": .number(0), "logprobs": .number(Double(max(topN, 1))),
        ]
        if backend.server == .vllm { o["prompt_logprobs"] = .number(Double(topN)) } else { o["echo"] = .bool(true) }
        let data = try await backend.http.send("/v1/completions", json: try JSONEncoder().encode(o), idempotent: true)
        let response = try RemoteBackend.decode(CompletionResponse.self, data, what: "an echo request", base: backend.http.base)
        return try Self.promptPositions(response, tokens: tokens, base: backend.http.base)
    }

    /// The prompt's positions out of an echo response for the `tokens` sent: vLLM's `prompt_logprobs`
    /// (each position's entries keyed by token id, the prompt's own among them), or the first
    /// entries of the legacy arrays (echo puts the prompt before the reply).
    static func promptPositions(_ response: CompletionResponse, tokens: [Int], base: String) throws -> [(logprob: Double?, top: [TokenAlternative])] {
        let count = tokens.count
        guard let choice = response.choices.first else { throw BackendError("\(base) answered an echo request without a choice") }
        if let prompt = choice.prompt_logprobs {
            guard prompt.count >= count else { throw BackendError("\(base) returned \(prompt.count) prompt log-probabilities for \(count) tokens") }
            return try prompt.prefix(count).enumerated().map { i, entry in
                guard let entry else { return (nil, []) }
                guard let own = entry[String(tokens[i])]?.logprob else {
                    throw BackendError("\(base) returned prompt log-probabilities without the prompt's own token at position \(i)")
                }
                let top = entry.sorted { $0.value.logprob > $1.value.logprob }.map {
                    TokenAlternative(id: Int($0.key) ?? -1, text: $0.value.decoded_token ?? "", logprob: Float($0.value.logprob))
                }
                return (own, top)
            }
        }
        guard let lps = choice.logprobs?.token_logprobs, lps.count >= count else {
            throw BackendError("\(base) returned no prompt log-probabilities for echo (it may not support echo with logprobs)")
        }
        let tops = choice.logprobs?.top_logprobs ?? []
        return (0..<count).map { i in
            let top = ((tops[safe: i] ?? nil) ?? [:]).sorted { $0.value > $1.value }.map { TokenAlternative(id: -1, text: $0.key, logprob: Float($0.value)) }
            return (i == 0 ? nil : lps[i], top)
        }
    }

    func score(prompt: String, choices: [String]) async throws -> [ChoiceScore] {
        let promptTokens = try await tokenize(prompt)
        var out: [ChoiceScore] = []
        for choice in choices {
            try Task.checkCancellation()
            let joint = try await tokenize(prompt + choice)
            var common = 0
            while common < min(joint.count, promptTokens.count) && joint[common] == promptTokens[common] { common += 1 }
            common = max(common, 1)
            let positions = try await echo(joint, topN: 0)
            let sum = positions[common...].reduce(0.0) { $0 + ($1.logprob ?? 0) }
            out.append(ChoiceScore(choice: choice, tokenCount: joint.count - common, sumLogprob: Float(sum)))
        }
        return out
    }

    /// BIG-bench's rank classification, as `Session.scoreApart` does it in-process: the prompt and each
    /// continuation tokenized apart (by the server's tokenizer, as BIG-bench's harness uses the model's
    /// own: `tokenizer(input) + tokenizer(target)`) and the ids sent concatenated, so every choice is
    /// conditioned on exactly the prompt's tokens. A server's tokenize endpoint puts its special tokens
    /// (a BOS) before any text; those it gives the empty text are dropped from each continuation, as
    /// in-process a continuation is tokenized without a BOS. An empty continuation scores 0.
    func scoreApart(prompt: String, continuations: [String]) async throws -> [Double] {
        let context = try await tokenize(prompt, parseSpecial: false)
        guard !context.isEmpty else {
            throw BackendError("a query's prompt is empty and \(backend.location) adds no start-of-text token to condition on")
        }
        let lead = try await tokenize("", parseSpecial: false)
        var sums: [Double] = []
        for text in continuations {
            try Task.checkCancellation()
            var ids = try await tokenize(text, parseSpecial: false)
            if ids.starts(with: lead) { ids.removeFirst(lead.count) }
            guard !ids.isEmpty else { sums.append(0); continue }
            let positions = try await echo(context + ids, topN: 0)
            sums.append(positions[context.count...].reduce(0.0) { $0 + ($1.logprob ?? 0) })
        }
        return sums
    }

    func promptLogprobs(_ prompt: String, topN: Int) async throws -> [PromptTokenScore] {
        let tokens = try await tokenize(prompt)
        let positions = try await echo(tokens, topN: topN)
        var pieces: [String] = []
        for t in tokens { pieces.append((try? backend.detokenize([t])) ?? "") }
        return zip(tokens, positions).enumerated().map { i, pair in
            PromptTokenScore(id: pair.0, text: pieces[i], logprob: pair.1.logprob.map(Float.init), top: Array(pair.1.top.prefix(topN)))
        }
    }
}
