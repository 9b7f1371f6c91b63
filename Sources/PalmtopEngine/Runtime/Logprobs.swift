import CKernels

/// Log-softmax statistics of one logit row (vectorized: this runs over the whole vocabulary for
/// every generated token).
enum Logprobs {
    static func logSumExpAndEntropy(_ row: UnsafeBufferPointer<Float>) -> (lse: Float, entropy: Float) {
        var lse: Float = 0, entropy: Float = 0
        pk_logsumexp_entropy(row.baseAddress!, Int64(row.count), &lse, &entropy)
        return (lse, entropy)
    }

    static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Float {
        var lse: Float = 0
        pk_logsumexp_entropy(row.baseAddress!, Int64(row.count), &lse, nil)
        return lse
    }
}
