import Foundation
import Synchronization
import PalmtopSampling

/// One reply a batch generates: its prompt's tokens, sampling, and tokens forced first.
public struct BatchJob: Sendable {
    public var prompt: [Int]
    public var settings: SamplingSettings
    public var forced: [Int]
    public var topN: Int

    public init(prompt: [Int], settings: SamplingSettings, forced: [Int] = [], topN: Int = 1) {
        self.prompt = prompt
        self.settings = settings
        self.forced = forced
        self.topN = topN
    }
}

/// Generates many replies on one model at once (continuous batching): up to `parallel` sequences,
/// each with its own KV cache, advance together, one token each per forward pass, so every weight is
/// read once per step for all of them instead of once per token. Decode is bound by memory bandwidth,
/// so B sequences cost little more per step than one. A sequence leaves the batch when its reply
/// ends and the next job takes its place. The prompt prefix every job shares (a dev set's instruction
/// and exemplars) is computed once and its keys and values copied into each sequence's cache.
///
/// Each reply is sampled by its own chain, as `Session.generate` samples it, so a job's reply does not
/// depend on which jobs run beside it; at temperature 0 it equals the reply a session gives, up to the
/// rounding of a batched matrix product against a one-token one (~1e-6 relative).
public final class BatchGenerator: @unchecked Sendable {
    public let model: Model
    public let contextLimit: Int
    /// Precision of the prompt passes (decode is always exact).
    public var prefillPrecision: PrefillPrecision
    private let context: DecoderContext
    private let cancelled = Atomic<Bool>(false)

    public init(model: Model, contextLimit: Int? = nil, prefill: PrefillPrecision = .fast) {
        self.model = model
        self.contextLimit = max(1, min(contextLimit ?? 4096, model.config.contextLength))
        prefillPrecision = prefill
        context = model.decoder.makeContext()
    }

    /// Stops every reply of the running batch after its current token (any thread).
    public func cancel() { cancelled.store(true, ordering: .sequentiallyConsistent) }

    /// A sequence in the batch.
    private struct Sequence {
        let job: Int
        let cache: KVCache
        var reply: ReplyBuilder
        /// The token to feed at the next step (the last one sampled).
        var next: Int
        let firstTokenTime: Date
    }

    /// Runs `jobs`, at most `parallel` at a time. `onToken(job, event)` sees each token as it is made
    /// (false ends that job's reply as cancelled), `onFinished(job, summary)` each reply as it ends; the
    /// summaries come back in job order.
    public func run(_ jobs: [BatchJob], parallel: Int, onToken: (Int, TokenEvent) -> Bool = { _, _ in true },
                    onFinished: (Int, GenerationSummary) -> Void = { _, _ in }) throws -> [GenerationSummary] {
        cancelled.store(false, ordering: .sequentiallyConsistent)
        for job in jobs {
            do { try job.settings.validate() } catch { throw EngineError.invalidSettings("\(error)") }
            guard !job.prompt.isEmpty else { throw EngineError.emptyPrompt }
            guard job.prompt.count <= contextLimit else { throw EngineError.promptTooLong(tokens: job.prompt.count, limit: contextLimit) }
        }
        guard !jobs.isEmpty else { return [] }
        let slots = max(1, min(parallel, jobs.count))
        // A cache only needs room for its longest prompt and reply, not the whole context.
        let longest = jobs.map { $0.prompt.count + min($0.settings.maxTokens, contextLimit) + 1 }.max()!
        let capacity = min(contextLimit, longest)
        let config = model.config
        var free = (0..<slots).map { _ in
            KVCache(layers: config.layerCount, capacity: capacity, kvDim: config.kvDim, window: config.slidingWindow,
                    isSliding: config.isSliding(layer:), slack: Decoder.maxBatch)
        }
        let prefix = try sharedPrefix(jobs, capacity: capacity)
        var summaries = [GenerationSummary?](repeating: nil, count: jobs.count)
        var nextJob = 0
        var active: [Sequence] = []

        func finish(_ s: Sequence, _ reason: StopReason) {
            var reply = s.reply
            let summary = reply.finish(reason, decodeSeconds: Date().timeIntervalSince(s.firstTokenTime))
            summaries[s.job] = summary
            free.append(s.cache)
            onFinished(s.job, summary)
        }
        // After a token was handed out: the reply ends, or the sequence goes on with that token.
        func settle(_ s: Sequence, ended: StopReason?, keepGoing: Bool) -> Sequence? {
            if let ended { finish(s, ended); return nil }
            if !keepGoing { finish(s, .cancelled); return nil }
            if s.reply.reachedLimit { finish(s, .maxTokens); return nil }
            if s.cache.count >= contextLimit { finish(s, .contextFull); return nil }
            return s
        }

        while true {
            if !isCancelled && active.count < slots && nextJob < jobs.count {
                // Every free slot takes the next job; their prompt passes run together.
                let joining = Array(nextJob..<min(jobs.count, nextJob + slots - active.count))
                nextJob = joining.last! + 1
                let caches = joining.map { _ in free.removeLast() }
                for (sequence, ended, keepGoing) in try join(joining, jobs, caches: caches, prefix: prefix, onToken: onToken) {
                    if let s = settle(sequence, ended: ended, keepGoing: keepGoing) { active.append(s) }
                }
                // Replies that ended on their first token free their slots for the next jobs at once.
                if active.count < slots && nextJob < jobs.count && !isCancelled { continue }
            }
            if isCancelled {
                for s in active { finish(s, .cancelled) }
                for j in nextJob..<jobs.count {
                    summaries[j] = GenerationSummary(stopReason: .cancelled, promptTokens: jobs[j].prompt.count, reusedTokens: 0, computedTokens: 0,
                                                     generatedTokens: 0, prefillSeconds: 0, decodeSeconds: 0, text: "")
                }
                break
            }
            if active.isEmpty { break }
            let batch = active.map { SequenceBatch(tokens: [$0.next], cache: $0.cache, logits: .last) }
            var outcomes: [(ended: StopReason?, keepGoing: Bool)] = []
            model.decoder.forward(batch, context: context, precision: .exact) { i, _, row in
                active[i].cache.advance(to: active[i].cache.count + 1)
                // As a session: no token is sampled that the context has no room to hold.
                if active[i].cache.count >= contextLimit { outcomes.append((.contextFull, true)); return }
                let (event, ended) = active[i].reply.next(row, position: active[i].cache.count)
                active[i].next = event.id
                outcomes.append((ended, onToken(active[i].job, event)))
            }
            active = zip(active, outcomes).compactMap { settle($0, ended: $1.ended, keepGoing: $1.keepGoing) }
        }
        return summaries.map { $0! }
    }

    private var isCancelled: Bool { cancelled.load(ordering: .sequentiallyConsistent) }

    /// Prompt tokens copied from the shared prefix and computed, over this generator's life.
    public private(set) var totalReused = 0
    public private(set) var totalComputed = 0
    /// Forward passes over prompt tokens (the shared prefix, joining jobs), over this generator's life.
    package private(set) var promptPasses = 0

    /// Seconds `steps` batched decode passes take for `sequences` sequences, each after `prefix` (run
    /// first, untimed), fed `tokens(sequence, step)`: the engine part of `palmtop bench --batch`.
    package func timeDecode(sequences: Int, steps: Int, after prefix: [Int], tokens: (Int, Int) -> Int) -> Double {
        let c = model.config
        let caches = (0..<sequences).map { _ in
            KVCache(layers: c.layerCount, capacity: prefix.count + steps + 1, kvDim: c.kvDim, window: c.slidingWindow,
                    isSliding: c.isSliding(layer:), slack: Decoder.maxBatch)
        }
        for cache in caches { _ = try? prefill(prefix, into: cache, wantLogits: false) { _ in } }
        let t0 = Date()
        for step in 0..<steps {
            model.decoder.forward(caches.indices.map { SequenceBatch(tokens: [tokens($0, step)], cache: caches[$0], logits: .last) },
                                  context: context, precision: .exact) { _, _, _ in }
            for cache in caches { cache.advance(to: cache.count + 1) }
        }
        return Date().timeIntervalSince(t0)
    }

    /// The keys and values of the longest prompt prefix every job shares, computed once — when there
    /// are several jobs and the prefix is long enough to be worth a copy — leaving each job at least its
    /// last prompt token to run (its logits start the reply).
    private func sharedPrefix(_ jobs: [BatchJob], capacity: Int) throws -> KVCache? {
        guard jobs.count > 1 else { return nil }
        var shared = jobs.map { $0.prompt.count - 1 }.min()!
        let first = jobs[0].prompt
        for job in jobs.dropFirst() {
            var n = 0
            while n < shared && job.prompt[n] == first[n] { n += 1 }
            shared = n
        }
        guard shared >= 16 else { return nil }
        let c = model.config
        let cache = KVCache(layers: c.layerCount, capacity: capacity, kvDim: c.kvDim, window: c.slidingWindow,
                            isSliding: c.isSliding(layer:), slack: Decoder.maxBatch)
        try prefill(Array(first[..<shared]), into: cache, wantLogits: false) { _ in }
        totalComputed += shared
        return cache
    }

    /// Runs `tokens` after what `cache` holds, in passes of at most `Decoder.maxBatch` tokens, handing
    /// the last token's logits to `onLast` when asked.
    private func prefill(_ tokens: [Int], into cache: KVCache, wantLogits: Bool, onLast: (UnsafeBufferPointer<Float>) -> Void) throws {
        var position = 0
        while position < tokens.count {
            if isCancelled { throw EngineError.cancelled }
            let end = min(position + Decoder.maxBatch, tokens.count)
            let request: LogitsRequest = wantLogits && end == tokens.count ? .last : .none
            model.decoder.forward([SequenceBatch(tokens: Array(tokens[position..<end]), cache: cache, logits: request)], context: context,
                                  precision: prefillPrecision) { _, _, row in onLast(row) }
            promptPasses += 1
            cache.advance(to: cache.count + end - position)
            position = end
        }
    }

    /// Starts `joining` jobs, one in each of `caches`: the shared prefix copied in, the rest of each prompt
    /// run, the first token of each sampled and handed to `onToken` in job order. Prompt remainders long
    /// enough that their numbers do not depend on what shares the pass (`MatrixOps.batchInvariantTokens`)
    /// run together, in passes of up to `Decoder.maxBatch` tokens, so each weight is read once for all of
    /// them; shorter ones (and longer ones, which take several passes) run alone as before. Either way a
    /// job's tokens are exactly those of running it by itself.
    private func join(_ joining: [Int], _ jobs: [BatchJob], caches: [KVCache], prefix: KVCache?,
                      onToken: (Int, TokenEvent) -> Bool) throws -> [(Sequence, StopReason?, Bool)] {
        let t0 = Date()
        var reused: [Int] = []
        for cache in caches {
            cache.truncate(to: 0)
            reused.append(prefix.map { cache.copyPrefix(from: $0, count: $0.count) ? $0.count : 0 } ?? 0)
        }
        var replies = [ReplyBuilder?](repeating: nil, count: joining.count)
        var firsts = [(TokenEvent, StopReason?)?](repeating: nil, count: joining.count)
        func start(_ i: Int, _ row: UnsafeBufferPointer<Float>) {
            let job = jobs[joining[i]]
            let stats = PrefillStats(reused: reused[i], computed: job.prompt.count - reused[i], seconds: Date().timeIntervalSince(t0))
            var builder = ReplyBuilder(settings: job.settings, prompt: job.prompt, forced: job.forced, topN: job.topN,
                                       tokenizer: model.tokenizer, prefill: stats)
            firsts[i] = builder.next(row, position: job.prompt.count)
            replies[i] = builder
        }
        let together = MatrixOps.batchInvariantTokens(prefillPrecision)
        var pass: [Int] = [], passTokens = 0
        func runPass() throws {
            guard !pass.isEmpty else { return }
            if isCancelled { throw EngineError.cancelled }
            let batch = pass.map { SequenceBatch(tokens: Array(jobs[joining[$0]].prompt[reused[$0]...]), cache: caches[$0], logits: .last) }
            model.decoder.forward(batch, context: context, precision: prefillPrecision) { s, _, row in start(pass[s], row) }
            promptPasses += 1
            for (s, sequence) in batch.enumerated() { caches[pass[s]].advance(to: reused[pass[s]] + sequence.tokens.count) }
            pass = []
            passTokens = 0
        }
        for i in joining.indices {
            let remainder = jobs[joining[i]].prompt.count - reused[i]
            totalReused += reused[i]
            totalComputed += remainder
            if remainder >= together && remainder <= Decoder.maxBatch {
                if passTokens + remainder > Decoder.maxBatch { try runPass() }
                pass.append(i)
                passTokens += remainder
            } else {
                try prefill(Array(jobs[joining[i]].prompt[reused[i]...]), into: caches[i], wantLogits: true) { start(i, $0) }
            }
        }
        try runPass()
        return joining.indices.map { i in
            let (event, ended) = firsts[i]!
            let keepGoing = onToken(joining[i], event)
            return (Sequence(job: joining[i], cache: caches[i], reply: replies[i]!, next: event.id, firstTokenTime: Date()), ended, keepGoing)
        }
    }
}
