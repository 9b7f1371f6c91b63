import Foundation
import PalmtopSampling
import PalmtopTokenizers

/// One reply being sampled: its sampler chain, stop sequences and UTF-8 assembly. It turns each logit
/// row into the next token and the event the inspector and CLI show, and keeps the reply's summary.
/// A session's generation and every sequence of a batch use one each, so a reply comes out the same
/// whichever way it was run.
struct ReplyBuilder {
    private(set) var chain: SamplerChain
    private(set) var summary: GenerationSummary
    private var stopper: StopMatcher
    private var utf8 = UTF8Accumulator()
    private let forced: [Int]
    private let topN: Int
    private let tokenizer: Tokenizer

    init(settings: SamplingSettings, prompt: [Int], forced: [Int] = [], topN: Int, tokenizer: Tokenizer, prefill: PrefillStats) {
        chain = SamplerChain(settings)
        chain.prime(prompt)
        stopper = StopMatcher(settings.stop)
        self.forced = forced
        self.topN = topN
        self.tokenizer = tokenizer
        summary = GenerationSummary(stopReason: .maxTokens, promptTokens: prompt.count, reusedTokens: prefill.reused,
                                    computedTokens: prefill.computed, generatedTokens: 0, prefillSeconds: prefill.seconds,
                                    decodeSeconds: 0, text: "")
    }

    /// Whether the token limit (which live settings may change) has been reached.
    var reachedLimit: Bool { summary.generatedTokens >= chain.settings.maxTokens }

    /// Applies settings changed on another thread from the next token on (stop sequences stay as started).
    mutating func reconfigure(_ settings: SamplingSettings) { chain.reconfigure(settings) }

    /// Picks the token after the logits `row` (forced tokens first), at context `position`. Returns its
    /// event, with the text it releases, and `.eos` or `.stop` when the reply ends with it.
    mutating func next(_ row: UnsafeBufferPointer<Float>, position: Int) -> (event: TokenEvent, ended: StopReason?) {
        let tokenizer = self.tokenizer
        func alternative(_ id: Int, _ lp: Float) -> TokenAlternative {
            TokenAlternative(id: id, text: tokenizer.decode([id], special: true), logprob: lp)
        }
        let (lse, entropy) = Logprobs.logSumExpAndEntropy(row)
        let topRaw = topEntries(row, topN).map { alternative($0.id, $0.logit - lse) }
        var candidates = Candidates(allLogits: row)
        chain.apply(&candidates)
        let probs = candidates.probabilities()
        let forcedID = summary.generatedTokens < forced.count ? forced[summary.generatedTokens] : nil
        let index = forcedID.flatMap { f in candidates.ids.firstIndex(of: f) } ?? (forcedID == nil ? chain.sample(candidates) : -1)
        let id = forcedID ?? candidates.ids[index]
        let order = probs.indices.sorted { probs[$0] > probs[$1] }.prefix(topN)
        let topPost = order.map { alternative(candidates.ids[$0], Foundation.log(probs[$0])) }
        let post = index >= 0 ? Foundation.log(probs[index]) : -Float.infinity
        var event = TokenEvent(id: id, bytes: tokenizer.bytes(of: id, special: false), text: "", logprob: row[id] - lse,
                               postLogprob: post, topRaw: topRaw, topPost: Array(topPost), entropy: entropy, position: position)
        chain.accept(id)
        summary.generatedTokens += 1
        if tokenizer.endOfGenerationIDs.contains(id) {
            event.text = stopper.flush() + utf8.flush()
            summary.text += event.text
            return (event, .eos)
        }
        let (shown, stopped) = stopper.feed(utf8.append(event.bytes))
        event.text = shown
        summary.text += shown
        return (event, stopped ? .stop : nil)
    }

    /// The summary of the reply, ended for `reason`; text held back for a possible stop sequence or an
    /// unfinished character is released unless a stop sequence or EOS ended it.
    mutating func finish(_ reason: StopReason, decodeSeconds: Double) -> GenerationSummary {
        summary.stopReason = reason
        if reason != .stop && reason != .eos {
            let rest = utf8.flush()
            summary.text += stopper.feed(rest).emit + stopper.flush()
        }
        summary.decodeSeconds = decodeSeconds
        return summary
    }
}
