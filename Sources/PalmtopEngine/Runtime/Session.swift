import Foundation
import Synchronization
import PalmtopSampling
import PalmtopTokenizers

/// A prompt token's log-probability given the tokens before it (echo / scoring).
public struct PromptTokenScore: Sendable {
    public var id: Int
    public var text: String
    /// nil for the first token, which has no prefix.
    public var logprob: Float?
    public var top: [TokenAlternative]

    public init(id: Int, text: String, logprob: Float?, top: [TokenAlternative]) {
        self.id = id
        self.text = text
        self.logprob = logprob
        self.top = top
    }
}

/// A candidate continuation's likelihood (the PaLM paper's rank classification).
public struct ChoiceScore: Sendable, Codable {
    public var choice: String
    public var tokenCount: Int
    public var sumLogprob: Float
    public var meanLogprob: Float { tokenCount > 0 ? sumLogprob / Float(tokenCount) : 0 }

    public init(choice: String, tokenCount: Int, sumLogprob: Float) {
        self.choice = choice
        self.tokenCount = tokenCount
        self.sumLogprob = sumLogprob
    }
}

/// How much of a prompt was served from the KV cache.
public struct PrefillStats: Sendable {
    public var reused: Int
    public var computed: Int
    public var seconds: Double
}

/// One conversation with a model: owns the KV cache and the tokens it holds, reuses the longest common
/// token prefix between calls (edited few-shot prompts recompute only what changed), and runs
/// generation and scoring. Each session has its own decoder context, so sessions on one model may
/// run on different threads at once; one session is not thread-safe except `cancel()`, which any
/// thread may call.
public final class Session: @unchecked Sendable {
    public let model: Model
    public let contextLimit: Int
    /// Precision of prompt passes before generating (scoring and prompt log-probabilities are always exact).
    public var prefillPrecision: PrefillPrecision
    /// Drafting for greedy generation (prompt lookup by default; `.off` decodes one token per pass).
    public var draft = DraftSettings()
    package private(set) var cache: KVCache
    private let context: DecoderContext
    /// Tokens whose keys and values are in the cache, in order.
    public private(set) var cachedTokens: [Int] = []
    private let cancelled = Atomic<Bool>(false)
    /// How many leading cached positions were computed with exact precision (see `PrefillPrecision`):
    /// scoring reuses only those, so its numbers do not depend on what was generated before.
    private var exactPrefix = 0
    /// Running totals of prompt tokens served from the cache and computed, across calls.
    public private(set) var totalReused = 0
    public private(set) var totalComputed = 0

    /// `slidingSlack`: slots beyond the window that sliding layers keep, i.e. how far back an edit can
    /// be and still reuse the cache.
    public init(model: Model, contextLimit: Int? = nil, slidingSlack: Int = 1024, prefill: PrefillPrecision = .fast) {
        self.model = model
        prefillPrecision = prefill
        context = model.decoder.makeContext()
        let limit = min(contextLimit ?? 4096, model.config.contextLength)
        self.contextLimit = max(limit, 1)
        let config = model.config
        cache = KVCache(layers: config.layerCount, capacity: self.contextLimit, kvDim: config.kvDim,
                        window: config.slidingWindow, isSliding: config.isSliding(layer:), slack: slidingSlack)
    }

    /// Named intermediates of this session's forward passes (tests and debugging).
    package var tap: TapHandler? {
        get { context.tap }
        set { context.tap = newValue }
    }

    /// Stops the running generation after the current token (safe from any thread or signal handler).
    public func cancel() { cancelled.store(true, ordering: .sequentiallyConsistent) }
    var isCancelled: Bool { cancelled.load(ordering: .sequentiallyConsistent) }

    /// Forgets everything cached.
    public func reset() {
        cache.truncate(to: 0)
        cachedTokens = []
        exactPrefix = 0
    }

    /// Makes the cache hold exactly `tokens`, recomputing only after the longest common prefix, and
    /// returns the logit rows the request asks for (for `.all`: rows for positions from `logitsFrom`).
    @discardableResult
    package func prefill(_ tokens: [Int], logits request: LogitsRequest = .last, logitsFrom: Int = 0,
                        onLogits: (Int, UnsafeBufferPointer<Float>) -> Void = { _, _ in }) throws -> PrefillStats {
        guard !tokens.isEmpty else { throw EngineError.emptyPrompt }
        guard tokens.count <= contextLimit else { throw EngineError.promptTooLong(tokens: tokens.count, limit: contextLimit) }
        let t0 = Date()
        var common = 0
        while common < min(tokens.count, cachedTokens.count) && tokens[common] == cachedTokens[common] { common += 1 }
        // The last prompt token (or the first whose logits are wanted) must run again to produce logits.
        if request == .last { common = min(common, tokens.count - 1) }
        if request == .all { common = min(common, max(logitsFrom, 0)) }
        let precision = Decoder.precision(for: request, prefill: prefillPrecision)
        if precision == .exact { common = min(common, exactPrefix) }
        // A sliding layer's ring may no longer hold the window before the edit point: start over.
        if !cache.canResume(at: common) { common = 0 }
        cache.truncate(to: common)
        cachedTokens = Array(tokens[..<common])
        exactPrefix = min(exactPrefix, common)
        var position = common
        // Logits for 262k-word vocabularies are 1 MB a row: take smaller batches when every row is needed.
        let batch = request == .all ? 32 : Decoder.maxBatch
        while position < tokens.count {
            if isCancelled { throw EngineError.cancelled }
            let end = min(position + batch, tokens.count)
            let chunk = Array(tokens[position..<end])
            let isLast = end == tokens.count
            let chunkRequest: LogitsRequest = request == .all && end > logitsFrom ? .all : (isLast && request == .last ? .last : .none)
            model.decoder.forward(chunk, cache: cache, context: context, logits: chunkRequest, precision: precision) { i, row in onLogits(position + i, row) }
            cache.advance(to: end)
            cachedTokens += chunk
            if precision == .exact { exactPrefix = end }
            position = end
        }
        totalReused += common
        totalComputed += tokens.count - common
        return PrefillStats(reused: common, computed: tokens.count - common, seconds: Date().timeIntervalSince(t0))
    }

    /// Generates from `prompt`, calling `onToken` for each token as it is made (return false to stop).
    /// `forced` tokens are emitted first instead of sampling (branching to an alternative in the inspector).
    /// With `live`, the sampler settings and token limit are re-read before every token, so a change made
    /// on another thread (a settings panel) applies from the next token; stop sequences stay as started.
    public func generate(prompt: [Int], settings: SamplingSettings, live: LiveSettings? = nil, topN: Int = 10,
                         forced: [Int] = [], onToken: (TokenEvent) -> Bool) throws -> GenerationSummary {
        do { try settings.validate() } catch { throw EngineError.invalidSettings("\(error)") }
        cancelled.store(false, ordering: .sequentiallyConsistent)
        var last: [Float] = []
        let stats = try prefill(prompt, logits: .last) { _, row in last = Array(row) }
        var reply = ReplyBuilder(settings: settings, prompt: prompt, forced: forced, topN: topN, tokenizer: model.tokenizer, prefill: stats)
        var drafts = DraftQueue(draft)
        var drafted = false
        let decodeStart = Date()
        var firstTokenTime: Date?
        var reason = StopReason.maxTokens
        while !reply.reachedLimit {
            if let live, let next = live.current, (try? next.validate()) != nil { reply.reconfigure(next) }
            if reply.reachedLimit { break }
            if isCancelled { reason = .cancelled; break }
            if cachedTokens.count >= contextLimit { reason = .contextFull; break }
            let (event, ended) = last.withUnsafeBufferPointer { reply.next($0, position: cachedTokens.count) }
            if firstTokenTime == nil { firstTokenTime = Date() }
            let keepGoing = onToken(event)
            if let ended { reason = ended; break }
            if !keepGoing { reason = .cancelled; break }
            if reply.reachedLimit { break }
            if cachedTokens.count >= contextLimit { reason = .contextFull; break }
            // Drafts only pay when the chain is deterministic (greedy) and the next token is not forced.
            let drafting = draft.mode != .none && reply.chain.settings.temperature == 0 && reply.summary.generatedTokens >= forced.count
            drafted = drafted || drafting
            last = extend(with: event.id, drafts: &drafts, drafting: drafting,
                          limit: reply.chain.settings.maxTokens - reply.summary.generatedTokens - 1)
        }
        var summary = reply.finish(reason, decodeSeconds: firstTokenTime.map { Date().timeIntervalSince($0) } ?? Date().timeIntervalSince(decodeStart))
        if drafted { summary.draft = drafts.stats }
        return summary
    }

    /// Appends the chosen token `id` to the cache and returns the logit row after it: a row verified
    /// ahead when `id` is the draft that row assumed (its keys and values are already stored), else
    /// from one pass over `id` and the drafts proposed after it (at most `limit`), which are verified
    /// for the next calls. Every pass is exact, as one-token decoding is.
    private func extend(with id: Int, drafts: inout DraftQueue, drafting: Bool, limit: Int) -> [Float] {
        let position = cachedTokens.count
        if exactPrefix == position { exactPrefix += 1 }
        cachedTokens.append(id)
        if let row = drafts.row(after: id) {
            cache.advance(to: position + 1)
            return row
        }
        let guesses = drafting ? drafts.propose(after: cachedTokens, limit: min(limit, contextLimit - position - 1)) : []
        var rows: [[Float]] = []
        model.decoder.forward([id] + guesses, cache: cache, context: context, logits: guesses.isEmpty ? .last : .all,
                              precision: .exact) { _, row in rows.append(Array(row)) }
        cache.advance(to: position + 1)
        if !guesses.isEmpty { drafts.verified(guesses, rows: Array(rows.dropFirst())) }
        return rows[0]
    }

    /// Each prompt token's log-probability given its prefix (the first token has none).
    public func promptLogprobs(_ tokens: [Int], topN: Int = 0) throws -> [PromptTokenScore] {
        cancelled.store(false, ordering: .sequentiallyConsistent)
        var scores = tokens.map { PromptTokenScore(id: $0, text: model.tokenizer.decode([$0], special: true), logprob: nil, top: []) }
        guard tokens.count > 1 else { return scores }
        let tokenizer = model.tokenizer
        try prefill(tokens, logits: .all, logitsFrom: 0) { i, row in
            guard i + 1 < tokens.count else { return }
            let lse = Logprobs.logSumExp(row)
            scores[i + 1].logprob = row[tokens[i + 1]] - lse
            if topN > 0 {
                scores[i + 1].top = topEntries(row, topN).map {
                    TokenAlternative(id: $0.id, text: tokenizer.decode([$0.id], special: true), logprob: $0.logit - lse)
                }
            }
        }
        return scores
    }

    /// Rank classification: the summed log-probability of each choice's tokens given the prompt.
    /// Prompt and choice are tokenized together; the choice's tokens are those after the longest common
    /// token prefix with the prompt alone (normally exactly the prompt's tokens). The prompt's KV cache
    /// is reused across choices.
    public func score(prompt: String, choices: [String], parseSpecial: Bool = true) throws -> [ChoiceScore] {
        // A cancel of an earlier call must not stop this one (each call starts afresh, as generate does).
        cancelled.store(false, ordering: .sequentiallyConsistent)
        let promptTokens = model.encode(prompt, parseSpecial: parseSpecial)
        guard !prompt.isEmpty else { throw EngineError.emptyPrompt }
        var results: [ChoiceScore] = []
        for choice in choices {
            let joint = model.encode(prompt + choice, parseSpecial: parseSpecial)
            var common = 0
            while common < min(joint.count, promptTokens.count) && joint[common] == promptTokens[common] { common += 1 }
            common = max(common, 1)
            var sum: Float = 0
            try prefill(joint, logits: .all, logitsFrom: common - 1) { i, row in
                guard i >= common - 1, i + 1 < joint.count else { return }
                sum += row[joint[i + 1]] - Logprobs.logSumExp(row)
            }
            results.append(ChoiceScore(choice: choice, tokenCount: joint.count - common, sumLogprob: sum))
        }
        return results
    }
}

extension Session {
    /// The tokens of a prompt given as plain text: special-token spellings are never parsed, and an
    /// empty prompt is given the BOS token (or EOS) so a first token has something to be conditioned on.
    public func plainTokens(_ prompt: String) -> [Int] {
        let tokens = model.encode(prompt, parseSpecial: false)
        if !tokens.isEmpty { return tokens }
        let vocab = model.tokenizer
        return [vocab.bosID ?? vocab.eosID ?? 0]
    }

    /// Each continuation's summed log-probability (in double precision) given exactly the prompt's
    /// tokens: prompt and continuation are tokenized apart and the ids concatenated, as BIG-bench's
    /// reference harness does, so a prompt ending in a space ("A: ") is not merged into the
    /// continuation's first token the way `score` merges it. The prompt's KV cache is reused across
    /// continuations; an empty continuation scores 0.
    public func scoreApart(prompt: String, continuations: [String]) throws -> [Double] {
        // A cancel is for the call running when it came, as in `generate`.
        cancelled.store(false, ordering: .sequentiallyConsistent)
        let context = plainTokens(prompt)
        return try continuations.map { text in
            let continuation = model.encode(text, parseSpecial: false, addBOS: false)
            if continuation.isEmpty { return 0 }
            let joint = context + continuation
            var sum = 0.0
            try prefill(joint, logits: .all, logitsFrom: context.count - 1) { i, row in
                guard i >= context.count - 1, i + 1 < joint.count else { return }
                sum += Double(row[joint[i + 1]]) - Self.logSumExp(row)
            }
            return sum
        }
    }

    /// log Σ exp over a logit row, in double precision (the summed scores are compared across choices).
    static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Double {
        var m = -Float.infinity
        for v in row { m = max(m, v) }
        var sum = 0.0
        for v in row { sum += Foundation.exp(Double(v - m)) }
        return Foundation.log(sum) + Double(m)
    }
}

/// Sampling settings shared between a UI thread and a running generation, which reads them before
/// every token. Writers replace the whole value; nil means "keep what the generation started with".
public final class LiveSettings: @unchecked Sendable {
    private let lock = NSLock()
    private var value: SamplingSettings?

    public init(_ settings: SamplingSettings? = nil) { value = settings }

    public var current: SamplingSettings? {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; lock.unlock() }
    }
}
