import Foundation
import CKernels

/// The small shared blocks of every decoder: norms, activations, RoPE, causal attention over the cache.
enum Blocks {
    /// y = x / sqrt(mean(x²) + eps) * w, for `rows` rows of length `n`.
    static func rmsNorm(_ x: UnsafePointer<Float>, _ w: [Float], eps: Float, rows: Int, n: Int, into y: UnsafeMutablePointer<Float>) {
        w.withUnsafeBufferPointer { wp in
            for r in 0..<rows {
                let xr = x + r * n, yr = y + r * n
                var ss: Double = 0
                for i in 0..<n { ss += Double(xr[i]) * Double(xr[i]) }
                let scale = Float(1 / (ss / Double(n) + Double(eps)).squareRoot())
                for i in 0..<n { yr[i] = xr[i] * scale * wp[i] }
            }
        }
    }

    @inline(__always)
    static func silu(_ x: Float) -> Float { x / (1 + Foundation.exp(-x)) }

    @inline(__always)
    static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + Foundation.tanh(0.797_884_56 * (x + 0.044_715 * x * x * x)))
    }

    /// gate[i] = act(gate[i]) * up[i]
    static func gatedActivation(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int, _ act: MLPActivation) {
        switch act {
        case .silu: for i in 0..<count { gate[i] = silu(gate[i]) * up[i] }
        case .geluTanh: for i in 0..<count { gate[i] = geluTanh(gate[i]) * up[i] }
        }
    }

    /// Rotates each head of `v` (heads × headDim) for position `pos`.
    static func rope(_ v: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, pos: Int, base: Float, style: RopeStyle) {
        let half = headDim / 2
        for i in 0..<half {
            let theta = Double(pos) * Foundation.pow(Double(base), -2 * Double(i) / Double(headDim))
            let c = Float(Foundation.cos(theta)), s = Float(Foundation.sin(theta))
            for h in 0..<heads {
                let p = v + h * headDim
                let (a, b) = style == .halves ? (i, i + half) : (2 * i, 2 * i + 1)
                let x0 = p[a], x1 = p[b]
                p[a] = x0 * c - x1 * s
                p[b] = x0 * s + x1 * c
            }
        }
    }

    /// out = softmax(q·K[lo...pos] * scale) · V[lo...pos] for one query head.
    static func attendHead(q: UnsafePointer<Float>, cache: KVCache, layer: Int, kvOffset: Int, headDim: Int,
                           range: ClosedRange<Int>, scale: Float, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        var maxScore = -Float.infinity
        for (i, j) in range.enumerated() {
            let s = pk_dot_f32(q, cache.key(layer: layer, position: j) + kvOffset, Int64(headDim)) * scale
            scores[i] = s
            maxScore = max(maxScore, s)
        }
        var total: Float = 0
        for i in 0..<range.count {
            scores[i] = Foundation.exp(scores[i] - maxScore)
            total += scores[i]
        }
        out.update(repeating: 0, count: headDim)
        for (i, j) in range.enumerated() {
            pk_axpy_f32(out, scores[i] / total, cache.value(layer: layer, position: j) + kvOffset, Int64(headDim))
        }
    }
}
