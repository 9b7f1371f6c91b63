import Foundation

/// Log-softmax helpers over one logit row.
enum Logprobs {
    /// log Σ exp(l), and the raw entropy −Σ p log p, in one pass each (Double accumulation).
    static func logSumExpAndEntropy(_ row: UnsafeBufferPointer<Float>) -> (lse: Float, entropy: Float) {
        var m = -Float.infinity
        for v in row where v > m { m = v }
        var s = 0.0, weighted = 0.0
        for v in row {
            let e = Foundation.exp(Double(v - m))
            s += e
            weighted += e * Double(v - m)
        }
        let lse = Double(m) + Foundation.log(s)
        let entropy = Foundation.log(s) - weighted / s
        return (Float(lse), Float(entropy))
    }

    static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Float {
        var m = -Float.infinity
        for v in row where v > m { m = v }
        var s = 0.0
        for v in row { s += Foundation.exp(Double(v - m)) }
        return Float(Double(m) + Foundation.log(s))
    }
}
