import Foundation
import CKernels

/// Which positions of a batch need logits: generating needs the last; scoring and echo need all.
package enum LogitsRequest: Sendable { case none, last, all }

/// One sequence's part of a batched forward pass: its next tokens, continuing at `cache.count` in its
/// own cache, and which of their logits it wants.
package struct SequenceBatch {
    package var tokens: [Int]
    package var cache: KVCache
    package var logits: LogitsRequest

    package init(tokens: [Int], cache: KVCache, logits: LogitsRequest) {
        self.tokens = tokens
        self.cache = cache
        self.logits = logits
    }
}

/// A named intermediate for tests and debugging: (name, layer, token index in batch, values).
package typealias TapHandler = (String, Int, Int, UnsafeBufferPointer<Float>) -> Void

/// The config-driven decoder: one forward pass for PaLM, Gemma 3 and Llama. It reads top to bottom like
/// the papers: embed → per layer (norm → attention → [post-norm] → residual, norm → MLP → [post-norm]
/// → residual, or both branches from one norm for PaLM) → final norm → logits.
package final class Decoder: @unchecked Sendable {
    package let config: ModelConfig
    package let weights: ModelWeights
    let pool: ThreadPool

    /// Largest batch one forward call takes; longer prompts are split by the session.
    package static let maxBatch = 512

    init(config: ModelConfig, weights: ModelWeights, pool: ThreadPool) {
        self.config = config
        self.weights = weights
        self.pool = pool
    }

    /// Scratch for one sequence's passes. The decoder itself holds only immutable weights, so any
    /// number of sessions share it, each with its own context.
    func makeContext() -> DecoderContext { DecoderContext(config: config, pool: pool) }

    /// Runs `tokens` at positions cache.count ..< cache.count + tokens.count at `precision`, appends their
    /// keys and values to `cache`, and hands each requested logit row to `onLogits(batchIndex, row)`.
    /// The caller picks the precision for a whole prompt: the batches before a scored span must be exact
    /// too, though they return no logits.
    func forward(_ tokens: [Int], cache: KVCache, context ctx: DecoderContext, logits request: LogitsRequest, precision: PrefillPrecision,
                 onLogits: (Int, UnsafeBufferPointer<Float>) -> Void) {
        forward([SequenceBatch(tokens: tokens, cache: cache, logits: request)], context: ctx, precision: precision) { _, i, row in onLogits(i, row) }
    }

    /// One pass over several sequences at once (llama.cpp's `llama_batch`): their tokens go through every
    /// matrix product together, so each weight is read once for all of them, while each sequence's
    /// positions, keys, values and attention stay its own. Decoding B sequences one token each this way
    /// turns B matrix × vector passes, each bound by memory bandwidth, into one matrix × matrix pass.
    /// `onLogits(sequence, tokenIndex, row)` gets the rows each sequence asked for, in batch order.
    func forward(_ batch: [SequenceBatch], context ctx: DecoderContext, precision: PrefillPrecision,
                 onLogits: (Int, Int, UnsafeBufferPointer<Float>) -> Void) {
        let c = config, d = c.embeddingLength
        // Row r of the activations is token rowToken[r] of sequence rowSequence[r], at position rowPosition[r].
        var rowSequence: [Int] = [], rowPosition: [Int] = [], rowToken: [Int] = [], firstRow: [Int] = []
        for (s, sequence) in batch.enumerated() {
            precondition(!sequence.tokens.isEmpty && sequence.cache.count + sequence.tokens.count <= sequence.cache.capacity)
            firstRow.append(rowToken.count)
            for (t, token) in sequence.tokens.enumerated() {
                rowSequence.append(s)
                rowPosition.append(sequence.cache.count + t)
                rowToken.append(token)
            }
        }
        let T = rowToken.count
        precondition(T > 0 && T <= Decoder.maxBatch)
        ctx.ops.precision = precision
        ctx.reserve(tokens: T, context: batch.map(\.cache.capacity).max()!)
        let x = ctx.x, h = ctx.h, q = ctx.q, k = ctx.k, v = ctx.v, att = ctx.att, proj = ctx.proj, mlp = ctx.mlp
        let caches = batch.map(\.cache)

        let embedding = weights.tokenEmbedding
        perToken(T) { range in
            for t in range {
                let row = embedding.row(rowToken[t])
                for i in 0..<d { x[t * d + i] = Dequantize.float(bf16: row[i]) * c.embeddingScale }
            }
        }

        let globalRope = Blocks.ropeTable(base: c.ropeBase, headDim: c.headDim, positions: rowPosition)
        let localRope = c.ropeBaseLocal == c.ropeBase ? globalRope : Blocks.ropeTable(base: c.ropeBaseLocal, headDim: c.headDim, positions: rowPosition)
        let half = c.headDim / 2

        for (l, w) in weights.layers.enumerated() {
            let sliding = c.isSliding(layer: l)
            normalize(x, w.attnNorm, tokens: T, into: h)
            ctx.emit("attn_norm", l, h, T, d)
            ctx.ops.multiply([(w.wq, q), (w.wk, k), (w.wv, v)], h, tokens: T, scratch: ctx.scratch)
            let table = sliding ? localRope : globalRope
            perToken(T) { range in
                for t in range {
                    if let qn = w.qNorm, let kn = w.kNorm {
                        Blocks.rmsNorm(q + t * c.qDim, qn, eps: c.rmsEpsilon, rows: c.headCount, n: c.headDim, into: q + t * c.qDim)
                        Blocks.rmsNorm(k + t * c.kvDim, kn, eps: c.rmsEpsilon, rows: c.kvHeadCount, n: c.headDim, into: k + t * c.kvDim)
                    }
                    table.cos.withUnsafeBufferPointer { cp in
                        table.sin.withUnsafeBufferPointer { sp in
                            let cosRow = cp.baseAddress! + t * half, sinRow = sp.baseAddress! + t * half
                            Blocks.rope(q + t * c.qDim, heads: c.headCount, headDim: c.headDim, cos: cosRow, sin: sinRow, style: c.ropeStyle)
                            Blocks.rope(k + t * c.kvDim, heads: c.kvHeadCount, headDim: c.headDim, cos: cosRow, sin: sinRow, style: c.ropeStyle)
                        }
                    }
                    caches[rowSequence[t]].write(layer: l, position: rowPosition[t], key: k + t * c.kvDim, value: v + t * c.kvDim)
                }
            }
            for sequence in batch { sequence.cache.stored(layer: l, through: sequence.cache.count + sequence.tokens.count - 1) }
            // Sequences decoding one token share one parallel region; a prompt's tokens attend on their own.
            var decoding: [Int] = []
            for (s, sequence) in batch.enumerated() {
                if sequence.tokens.count == 1 { decoding.append(s); continue }
                attention(ctx, layer: l, sliding: sliding, row: firstRow[s], tokens: sequence.tokens.count, start: sequence.cache.count,
                          cache: sequence.cache)
            }
            if !decoding.isEmpty {
                decodeAttention(ctx, layer: l, sliding: sliding, rows: decoding.map { firstRow[$0] }, positions: decoding.map { batch[$0].cache.count },
                                caches: decoding.map { batch[$0].cache })
            }
            ctx.emit("attn_out_heads", l, att, T, c.qDim)
            ctx.ops.multiply(w.wo, att, tokens: T, into: proj, scratch: ctx.scratch)
            if c.parallelBlock {
                if let pn = w.postAttnNorm { normalize(proj, pn, tokens: T, into: proj) }
                ctx.emit("attn_out", l, proj, T, d)
                feedForward(ctx, w, input: h, tokens: T)
                perToken(T) { r in for i in r.lowerBound * d..<r.upperBound * d { x[i] += proj[i] + mlp[i] } }
            } else {
                // Post-attention norm, residual and the MLP's input norm, one token row at a time.
                let postNorm = w.postAttnNorm, ffnNorm = w.ffnNorm!
                perToken(T) { r in
                    let rows = r.lowerBound * d
                    if let postNorm { Blocks.rmsNorm(proj + rows, postNorm, eps: c.rmsEpsilon, rows: r.count, n: d, into: proj + rows) }
                    for i in rows..<r.upperBound * d { x[i] += proj[i] }
                    Blocks.rmsNorm(x + rows, ffnNorm, eps: c.rmsEpsilon, rows: r.count, n: d, into: h + rows)
                }
                ctx.emit("attn_out", l, proj, T, d)
                ctx.emit("ffn_norm", l, h, T, d)
                feedForward(ctx, w, input: h, tokens: T)
                perToken(T) { r in for i in r.lowerBound * d..<r.upperBound * d { x[i] += mlp[i] } }
            }
            ctx.emit("ffn_out", l, mlp, T, d)
            ctx.emit("l_out", l, x, T, d)
        }

        // The rows whose logits were asked for, normalized into consecutive rows of h for one product.
        var picks: [(sequence: Int, token: Int)] = []
        for (s, sequence) in batch.enumerated() {
            switch sequence.logits {
            case .none: continue
            case .last: picks.append((s, sequence.tokens.count - 1))
            case .all: picks += sequence.tokens.indices.map { (s, $0) }
            }
        }
        guard !picks.isEmpty else { return }
        for (i, pick) in picks.enumerated() {
            Blocks.rmsNorm(x + (firstRow[pick.sequence] + pick.token) * d, weights.outputNorm, eps: c.rmsEpsilon, rows: 1, n: d, into: h + i * d)
        }
        ctx.emit("result_norm", -1, h, picks.count, d)
        let vocab = weights.output.rows
        let logitRows = ctx.logitRows(picks.count * vocab)
        if precision == .fast && picks.count > 1 {
            // Several sequences' prompt passes at once, each wanting its last row: alone, each would take
            // the one-token kernel for its logits, so they take the several-token kernel that equals it
            // bit for bit (exact), in groups it takes, rather than the fast GEMM.
            ctx.ops.precision = .exact
            for start in stride(from: 0, to: picks.count, by: MatrixOps.exactMatvecTokens) {
                let count = min(MatrixOps.exactMatvecTokens, picks.count - start)
                ctx.ops.multiply(weights.output, h + start * d, tokens: count, into: logitRows + start * vocab, scratch: ctx.scratch)
            }
        } else {
            ctx.ops.multiply(weights.output, h, tokens: picks.count, into: logitRows, scratch: ctx.scratch)
        }
        for (i, pick) in picks.enumerated() {
            onLogits(pick.sequence, pick.token, UnsafeBufferPointer(start: logitRows + i * vocab, count: vocab))
        }
    }

    /// The precision a pass with this logits request runs at: a pass that returns every position's
    /// logits (scoring, prompt log-probabilities) is always exact, since its numbers are the product.
    static func precision(for request: LogitsRequest, prefill: PrefillPrecision) -> PrefillPrecision {
        request == .all ? .exact : prefill
    }

    private func feedForward(_ ctx: DecoderContext, _ w: LayerWeights, input: UnsafeMutablePointer<Float>, tokens T: Int) {
        let c = config, gate = ctx.gate, up = ctx.up, mlp = ctx.mlp
        ctx.ops.multiply([(w.wGate, gate), (w.wUp, up)], input, tokens: T, scratch: ctx.scratch)
        let gelu: Int32 = c.mlpActivation == .geluTanh ? 1 : 0
        pool.parallelFor(T * c.feedForwardLength, grain: 4096) { r in
            pk_gated_activation(gate + r.lowerBound, up + r.lowerBound, Int64(r.count), gelu)
        }
        ctx.ops.multiply(w.wDown, gate, tokens: T, into: mlp, scratch: ctx.scratch)
        if let pn = w.postFfnNorm { normalize(mlp, pn, tokens: T, into: mlp) }
    }

    /// RMS norm of `tokens` rows of the model width, across the pool (`into` may be `x`).
    private func normalize(_ x: UnsafeMutablePointer<Float>, _ weight: [Float], tokens: Int, into y: UnsafeMutablePointer<Float>) {
        let d = config.embeddingLength, eps = config.rmsEpsilon
        perToken(tokens) { r in Blocks.rmsNorm(x + r.lowerBound * d, weight, eps: eps, rows: r.count, n: d, into: y + r.lowerBound * d) }
    }

    /// Runs per-token work (norms, RoPE, residuals) over the pool for a prompt batch, so the second
    /// core does not wait between the matrix products; a single decode token stays on this thread.
    private func perToken(_ count: Int, _ body: @escaping (Range<Int>) -> Void) {
        if count >= 8 { pool.parallelFor(count, grain: 4, body) } else { body(0..<count) }
    }

    /// Causal attention for every (token, KV head) pair of the batch. Two consecutive tokens that see the
    /// same first position (always, unless a sliding window has started to move) go together, so they
    /// share every key and value load. Units are dealt out round-robin: later tokens attend to more
    /// positions, so contiguous chunks would leave one core idle. A fast prompt pass first copies the
    /// positions the batch sees to bf16 (`packKeysAndValues`) and attends with bf16 products.
    /// The batch's tokens are activation rows `row ..< row + T`.
    private func attention(_ ctx: DecoderContext, layer: Int, sliding: Bool, row: Int, tokens T: Int, start: Int, cache: KVCache) {
        // A few tokens at exact precision (verifying drafts) attend one at a time as decoding does, so
        // with the matrix products' per-token kernel (MatrixOps) their rows equal decoding's bit for bit.
        if ctx.ops.precision == .exact && T <= MatrixOps.exactMatvecTokens {
            decodeAttention(ctx, layer: layer, sliding: sliding, rows: Array(row..<row + T), positions: Array(start..<start + T),
                            caches: Array(repeating: cache, count: T))
            return
        }
        let c = config
        let groups = c.headCount / c.kvHeadCount
        let window = sliding ? c.slidingWindow ?? Int.max : Int.max
        func first(_ t: Int) -> Int { window == Int.max ? 0 : max(0, start + t - window + 1) }
        var blocks: [(token: Int, count: Int)] = []
        var t = 0
        while t < T {
            let count = t + 1 < T && first(t) == first(t + 1) ? 2 : 1
            blocks.append((t, count))
            t += count
        }
        // The bf16 products pay for the copy only over many query rows, and need dimension pairs.
        let bf16 = ctx.ops.precision == .fast && T >= 16 && c.headDim % 2 == 0 && pk_bf16_dot() != 0
        let packedBase = bf16 ? packKeysAndValues(ctx, layer: layer, first: first(0), last: start + T - 1, cache: cache) : nil
        let q = ctx.q + row * c.qDim, att = ctx.att + row * c.qDim, scores = ctx.scores
        let packedKeys = ctx.packedKeys, packedValues = ctx.packedValues, packedHeadStride = ctx.packedHeadStride, threads = pool.threadCount
        // Two or three tokens with one KV head (Gemma) would leave a core idle: split the query heads of a
        // group into slices so every thread has a unit (each slice re-reads the group's keys and values).
        let slices = blocks.count * c.kvHeadCount >= threads ? 1 : min(groups, threads)
        let units = blocks.count * c.kvHeadCount * slices
        pool.runParts { part in
            for u in stride(from: part, to: units, by: threads) {
                let slice = u % slices, bg = u / slices
                let block = blocks[bg / c.kvHeadCount], g = bg % c.kvHeadCount
                let firstHead = groups * slice / slices, heads = groups * (slice + 1) / slices - firstHead
                let from = first(block.token), last = start + block.token + block.count - 1
                let headOffset = block.token * c.qDim + (g * groups + firstHead) * c.headDim
                if let packedBase {
                    // The copy starts at a block boundary; this pair's run starts at the block holding `from`.
                    let offset = from - packedBase, blockStart = offset / 16 * 16, skip = offset - blockStart
                    let packed = g * packedHeadStride + blockStart * c.headDim
                    Decoder.withCounts(Int64(start + block.token - from + 1 + skip), Int64(last - from + 1 + skip)) { counts in
                        pk_attend_bf16(q + headOffset, Int64(c.qDim), Int64(block.count), Int64(heads), Int64(c.headDim),
                                       packedKeys + packed, packedValues + packed, Int64(skip), counts, c.attentionScale,
                                       scores[part], att + headOffset, Int64(c.qDim))
                    }
                    continue
                }
                let (a, b) = cache.segments(layer: layer, first: from, last: last, offset: g * c.headDim)
                // Positions each token sees, counted from the first run's start (a.skip slots before `from`).
                Decoder.withCounts(Int64(start + block.token - from + 1) + a.skip, Int64(last - from + 1) + a.skip) { counts in
                    [a, b].withUnsafeBufferPointer { segments in
                        pk_attend(q + headOffset, Int64(c.qDim), Int64(block.count), Int64(heads), Int64(c.headDim),
                                  segments.baseAddress, counts, Int64(cache.keyBlockStride), Int64(c.kvDim), c.attentionScale,
                                  scores[part], att + headOffset, Int64(c.qDim), nil)
                    }
                }
            }
        }
    }

    /// Attention for decoded tokens, one per sequence (activation row `rows[i]` of sequence i, at
    /// `positions[i]` in `caches[i]`), in one parallel region. Each KV head's positions are cut into one
    /// run per thread at key block boundaries, so every cached byte is read once and both cores stream
    /// equal shares whatever the number of KV heads (one for Gemma, where splitting heads made both cores
    /// read the whole cache; three for SmolLM2, where whole heads split 2:1). The runs' softmaxes are then
    /// merged exactly. A sequence's runs depend only on its own position, so batching does not change
    /// its numbers.
    private func decodeAttention(_ ctx: DecoderContext, layer: Int, sliding: Bool, rows: [Int], positions: [Int], caches: [KVCache]) {
        let c = config, groups = c.headCount / c.kvHeadCount, threads = pool.threadCount, dim = c.headDim
        let window = sliding ? c.slidingWindow ?? Int.max : Int.max
        // Per sequence: run r covers positions bounds[r] ..< bounds[r + 1]; every run after the first starts
        // at a block. Its units (KV head × run) are numbered from firstUnit.
        var bounds: [[Int]] = [], firstUnit: [Int] = [], unitSequence: [Int] = []
        for (i, position) in positions.enumerated() {
            let from = window == Int.max ? 0 : max(0, position - window + 1)
            let blocksSpanned = position / 16 - from / 16 + 1, runs = min(threads, blocksSpanned)
            bounds.append([from] + (1..<runs).map { (from / 16 + blocksSpanned * $0 / runs) * 16 } + [position + 1])
            firstUnit.append(unitSequence.count)
            unitSequence += Array(repeating: i, count: c.kvHeadCount * runs)
        }
        let q = ctx.q, att = ctx.att, scores = ctx.scores, partialOut = ctx.partialOut, partialStats = ctx.partialStats
        let units = unitSequence.count
        pool.runParts { part in
            for u in stride(from: part, to: units, by: threads) {
                let i = unitSequence[u], runs = bounds[i].count - 1, local = u - firstUnit[i], cache = caches[i]
                let g = local / runs, first = bounds[i][local % runs], last = bounds[i][local % runs + 1] - 1
                let (a, b) = cache.segments(layer: layer, first: first, last: last, offset: g * dim)
                Decoder.withCounts(Int64(last - first + 1) + a.skip, 0) { counts in
                    [a, b].withUnsafeBufferPointer { segments in
                        pk_attend(q + rows[i] * c.qDim + g * groups * dim, Int64(c.qDim), 1, Int64(groups), Int64(dim), segments.baseAddress,
                                  counts, Int64(cache.keyBlockStride), Int64(c.kvDim), c.attentionScale, scores[part],
                                  partialOut + u * groups * dim, Int64(groups * dim), partialStats + u * groups * 2)
                    }
                }
            }
        }
        // softmax over all runs = Σ_r w_r · softmax over run r, with w_r ∝ sum_r · exp(largest_r − largest).
        for i in positions.indices {
            let runs = bounds[i].count - 1
            for g in 0..<c.kvHeadCount {
                for h in 0..<groups {
                    let row = { (r: Int) in (firstUnit[i] + g * runs + r) * groups + h }
                    var largest = -Float.infinity, total: Float = 0
                    for r in 0..<runs { largest = max(largest, partialStats[row(r) * 2]) }
                    for r in 0..<runs { total += partialStats[row(r) * 2 + 1] * Foundation.exp(partialStats[row(r) * 2] - largest) }
                    let out = att + rows[i] * c.qDim + (g * groups + h) * dim
                    for j in 0..<dim { out[j] = 0 }
                    for r in 0..<runs {
                        let w = partialStats[row(r) * 2 + 1] * Foundation.exp(partialStats[row(r) * 2] - largest) / total
                        let part = partialOut + row(r) * dim
                        for j in 0..<dim { out[j] += w * part[j] }
                    }
                }
            }
        }
    }

    /// Copies positions first...last of every KV head of `layer` to bf16 across the pool, from the key
    /// block holding `first`; returns the position the copy starts at.
    private func packKeysAndValues(_ ctx: DecoderContext, layer: Int, first: Int, last: Int, cache: KVCache) -> Int {
        let c = config, heads = c.kvHeadCount
        let runs = (0..<heads).map { cache.segments(layer: layer, first: first, last: last, offset: $0 * c.headDim) }
        let positions = Int(runs[0].0.n + runs[0].1.n), blocks = (positions + 15) / 16
        let packedKeys = ctx.packedKeys, packedValues = ctx.packedValues, packedHeadStride = ctx.packedHeadStride
        pool.parallelFor(heads * blocks, grain: 4) { range in
            for unit in range {
                let g = unit / blocks, block = unit % blocks
                [runs[g].0, runs[g].1].withUnsafeBufferPointer { segments in
                    pk_pack_kv_bf16(segments.baseAddress, Int64(cache.keyBlockStride), Int64(c.kvDim), Int64(c.headDim), Int64(block),
                                    Int64(block + 1), packedKeys + g * packedHeadStride, packedValues + g * packedHeadStride)
                }
            }
        }
        return first - Int(runs[0].0.skip)
    }

    /// The two positions counts pk_attend takes, as a pointer (without allocating an array per call).
    private static func withCounts(_ first: Int64, _ second: Int64, _ body: (UnsafePointer<Int64>) -> Void) {
        var counts = (first, second)
        withUnsafePointer(to: &counts) { $0.withMemoryRebound(to: Int64.self, capacity: 2, body) }
    }
}
