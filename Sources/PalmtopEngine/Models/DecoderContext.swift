import CKernels

/// One sequence's working memory for the decoder: activations of a batch, attention scores per
/// thread, the bf16 copy of keys and values a fast prompt pass attends to, decode attention's partial
/// results and the logit rows. Buffers grow to the largest batch and context seen and are reused.
/// Each session owns one, so sessions on one model never share scratch and can run at the same
/// time (a `Decoder` holds only the immutable weights).
final class DecoderContext: @unchecked Sendable {
    let config: ModelConfig
    var ops: MatrixOps
    let scratch = ActivationScratch()
    /// Named intermediates of this context's passes, for tests and debugging.
    var tap: TapHandler?
    private var capacity = 0
    // Activations for a batch of T tokens (row-major, one row per token).
    private(set) var x = UnsafeMutablePointer<Float>.allocate(capacity: 1)      // [T, d]
    private(set) var h = UnsafeMutablePointer<Float>.allocate(capacity: 1)      // [T, d]
    private(set) var q = UnsafeMutablePointer<Float>.allocate(capacity: 1)      // [T, qDim]
    private(set) var k = UnsafeMutablePointer<Float>.allocate(capacity: 1)      // [T, kvDim]
    private(set) var v = UnsafeMutablePointer<Float>.allocate(capacity: 1)      // [T, kvDim]
    private(set) var att = UnsafeMutablePointer<Float>.allocate(capacity: 1)    // [T, qDim]
    private(set) var proj = UnsafeMutablePointer<Float>.allocate(capacity: 1)   // [T, d]
    private(set) var gate = UnsafeMutablePointer<Float>.allocate(capacity: 1)   // [T, ffn]
    private(set) var up = UnsafeMutablePointer<Float>.allocate(capacity: 1)     // [T, ffn]
    private(set) var mlp = UnsafeMutablePointer<Float>.allocate(capacity: 1)    // [T, d]
    private(set) var scores: [UnsafeMutablePointer<Float>] = []                 // per thread [rows × context]
    private var scoresContext = 0
    // bf16 copies of the positions a fast prompt pass attends to, per KV head (see pk_pack_kv_bf16).
    private(set) var packedKeys = UnsafeMutablePointer<UInt16>.allocate(capacity: 1)
    private(set) var packedValues = UnsafeMutablePointer<UInt16>.allocate(capacity: 1)
    private(set) var packedHeadStride = 0
    // Decode attention over parts of the positions, before merging: per (sequence, KV head, part) the
    // group's outputs [groups × headDim] and each row's softmax largest score and sum.
    private(set) var partialOut = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var partialStats = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var logits = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var logitCapacity = 0

    init(config: ModelConfig, pool: ThreadPool) {
        self.config = config
        ops = MatrixOps(pool: pool)
    }

    deinit {
        for p in [x, h, q, k, v, att, proj, gate, up, mlp, logits] { p.deallocate() }
        scores.forEach { $0.deallocate() }
        packedKeys.deallocate()
        packedValues.deallocate()
        partialOut.deallocate()
        partialStats.deallocate()
    }

    func reserve(tokens: Int, context: Int) {
        if tokens > capacity {
            let c = config
            for p in [x, h, q, k, v, att, proj, gate, up, mlp] { p.deallocate() }
            x = .allocate(capacity: tokens * c.embeddingLength); h = .allocate(capacity: tokens * c.embeddingLength)
            q = .allocate(capacity: tokens * c.qDim); k = .allocate(capacity: tokens * c.kvDim); v = .allocate(capacity: tokens * c.kvDim)
            att = .allocate(capacity: tokens * c.qDim); proj = .allocate(capacity: tokens * c.embeddingLength)
            gate = .allocate(capacity: tokens * c.feedForwardLength); up = .allocate(capacity: tokens * c.feedForwardLength)
            mlp = .allocate(capacity: tokens * c.embeddingLength)
            // A batch of decoded tokens (one per sequence) splits each sequence's positions into up to one
            // run per thread.
            partialOut.deallocate(); partialStats.deallocate()
            partialOut = .allocate(capacity: tokens * ops.pool.threadCount * c.qDim)
            partialStats = .allocate(capacity: tokens * ops.pool.threadCount * c.headCount * 2)
            capacity = tokens
        }
        if context > scoresContext {
            let groups = config.headCount / config.kvHeadCount
            scores.forEach { $0.deallocate() }
            // pk_attend takes up to 8 query rows (two tokens' heads) at a time; pk_attend_bf16 rounds a row
            // up to 32 positions from a block start up to 15 before the first.
            let rows = min(8, 2 * groups)
            scores = (0..<ops.pool.threadCount).map { _ in .allocate(capacity: (context + 64) * rows) }
            packedKeys.deallocate()
            packedValues.deallocate()
            packedHeadStride = Int(pk_kv_bf16_count(Int64(context + 16), Int64(config.headDim)))
            packedKeys = .allocate(capacity: config.kvHeadCount * packedHeadStride)
            packedValues = .allocate(capacity: config.kvHeadCount * packedHeadStride)
            scoresContext = context
        }
    }

    /// Room for `count` logits.
    func logitRows(_ count: Int) -> UnsafeMutablePointer<Float> {
        if logitCapacity < count {
            logits.deallocate()
            logits = .allocate(capacity: count)
            logitCapacity = count
        }
        return logits
    }

    func emit(_ name: String, _ layer: Int, _ p: UnsafeMutablePointer<Float>, _ rows: Int, _ n: Int) {
        guard let tap else { return }
        for r in 0..<rows { tap(name, layer, r, UnsafeBufferPointer(start: p + r * n, count: n)) }
    }
}
