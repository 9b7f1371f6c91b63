import Foundation
import PalmtopEngine
import PalmtopSampling

/// The in-process engine as a BIG-bench model, on one session so the KV cache is reused across items.
///
/// Scoring tokenizes the prompt and each target separately and concatenates the ids, as BIG-bench's
/// reference harness does (`_gpt_batch_tokenize`: `tokenizer(input) + tokenizer(target)`). Every choice
/// is thus conditioned on exactly the prompt's tokens, even when the prompt ends in a space ("A: ") that
/// joint tokenization would merge into the choice's first token — which is what `Session.score` does
/// (it scores the tokens after the common prefix of prompt and prompt+choice), so it is not used here.
/// Task text is never parsed for special tokens. An empty prompt is given the BOS token (or EOS) so the
/// first target token has something to be conditioned on.
public final class SessionBigBenchModel: BigBenchModel {
    public let session: Session

    public init(session: Session) { self.session = session }

    func promptTokens(_ prompt: String) -> [Int] {
        let tokens = session.model.encode(prompt, parseSpecial: false)
        if !tokens.isEmpty { return tokens }
        let vocab = session.model.tokenizer
        return [vocab.bosID ?? vocab.eosID ?? 0]
    }

    public func logprobs(prompt: String, targets: [String]) throws -> [Double] {
        let context = promptTokens(prompt)
        return try targets.map { target in
            let continuation = session.model.encode(target, parseSpecial: false, addBOS: false)
            if continuation.isEmpty { return 0 }
            let joint = context + continuation
            var sum = 0.0
            try session.prefill(joint, logits: .all, logitsFrom: context.count - 1) { i, row in
                guard i >= context.count - 1, i + 1 < joint.count else { return }
                sum += Double(row[joint[i + 1]]) - Self.logSumExp(row)
            }
            return sum
        }
    }

    /// log Σ exp over a logit row, in double precision.
    static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Double {
        var m = -Float.infinity
        for v in row { m = max(m, v) }
        var sum = 0.0
        for v in row { sum += Foundation.exp(Double(v - m)) }
        return Foundation.log(sum) + Double(m)
    }

    public func generate(prompt: String, maxTokens: Int, settled: (String) -> Bool) throws -> String {
        var settings = SamplingSettings.greedy
        settings.maxTokens = maxTokens
        var text = ""
        let summary = try session.generate(prompt: promptTokens(prompt), settings: settings, topN: 0) { event in
            text += event.text
            return !settled(text)
        }
        return summary.text
    }
}
