import Foundation
import PalmtopEngine
import PalmtopSampling

/// The in-process engine as a BIG-bench model, on one session so the KV cache is reused across items.
///
/// Scoring is `Session.scoreApart`: the prompt and each target tokenized separately and the ids
/// concatenated, as BIG-bench's reference harness does (`_gpt_batch_tokenize`: `tokenizer(input) +
/// tokenizer(target)`), so every choice is conditioned on exactly the prompt's tokens. Task text is
/// never parsed for special tokens.
public final class SessionBigBenchModel: BigBenchModel {
    public let session: Session

    public init(session: Session) { self.session = session }

    public func logprobs(prompt: String, targets: [String]) throws -> [Double] {
        try session.scoreApart(prompt: prompt, continuations: targets)
    }

    public func generate(prompt: String, maxTokens: Int, settled: (String) -> Bool) throws -> String {
        var settings = SamplingSettings.greedy
        settings.maxTokens = maxTokens
        var text = ""
        let summary = try session.generate(prompt: session.plainTokens(prompt), settings: settings, topN: 0) { event in
            text += event.text
            return !settled(text)
        }
        return summary.text
    }
}
