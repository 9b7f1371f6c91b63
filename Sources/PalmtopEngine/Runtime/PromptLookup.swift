/// Prompt-lookup drafting (Saxena's prompt lookup decoding, llama.cpp's `lookup` and `ngram-simple`):
/// the tokens that followed the latest earlier occurrence of the context's last n tokens are a guess
/// at what comes next. Few-shot prompts, extraction and code edits repeat their context, so the guess
/// is often right, and checking it costs one batched pass instead of one pass per token.
public struct PromptLookup: Sendable, Equatable {
    /// Shortest and longest n-gram matched: the longest that occurs earlier wins, since a longer match
    /// predicts its continuation better.
    public var ngramMin: Int
    public var ngramMax: Int
    /// Most draft tokens proposed at once.
    public var maxDraft: Int

    public init(ngramMin: Int = 2, ngramMax: Int = 4, maxDraft: Int = 7) {
        self.ngramMin = ngramMin
        self.ngramMax = ngramMax
        self.maxDraft = maxDraft
    }

    /// Up to `min(limit, maxDraft)` tokens that followed the latest earlier occurrence of the last n
    /// tokens of `context`, for the largest n in ngramMin...ngramMax that has one; empty when none does.
    public func propose(after context: [Int], limit: Int) -> [Int] {
        let count = min(limit, maxDraft)
        guard count > 0, ngramMin >= 1 else { return [] }
        for n in stride(from: min(ngramMax, context.count - 1), through: ngramMin, by: -1) {
            let suffix = context.count - n
            // Latest start first. Any start before the suffix's own leaves at least one token after the
            // match, and an occurrence may overlap the suffix: a repeating "a b a b" predicts itself.
            var start = suffix - 1
            while start >= 0 {
                if matches(context, at: start, suffix: suffix, length: n) {
                    let from = start + n
                    return Array(context[from..<min(from + count, context.count)])
                }
                start -= 1
            }
        }
        return []
    }

    private func matches(_ context: [Int], at start: Int, suffix: Int, length n: Int) -> Bool {
        for i in 0..<n where context[start + i] != context[suffix + i] { return false }
        return true
    }
}
