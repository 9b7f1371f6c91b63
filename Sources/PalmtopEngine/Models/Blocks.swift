import Foundation

/// The small shared blocks of every decoder: norms, activations, RoPE, causal attention over the cache.
enum Blocks {
    /// y = x / sqrt(mean(x²) + eps) * w, for `rows` rows of length `n`. Squares are summed in 16 f32
    /// lanes (at most a few hundred terms each) and the lanes in Double.
    static func rmsNorm(_ x: UnsafePointer<Float>, _ w: [Float], eps: Float, rows: Int, n: Int, into y: UnsafeMutablePointer<Float>) {
        typealias Lanes = SIMD16<Float>
        w.withUnsafeBufferPointer { wp in
            let wb = UnsafeRawPointer(wp.baseAddress!)
            for r in 0..<rows {
                let xr = x + r * n, yr = y + r * n
                let xb = UnsafeRawPointer(xr)
                var lanes = Lanes.zero
                var i = 0
                while i + 16 <= n {
                    let v = xb.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
                    lanes += v * v
                    i += 16
                }
                var ss = (0..<16).reduce(0.0) { $0 + Double(lanes[$1]) }
                for j in i..<n { ss += Double(xr[j]) * Double(xr[j]) }
                let scale = Float(1 / (ss / Double(n) + Double(eps)).squareRoot())
                i = 0
                while i + 16 <= n {
                    let v = xb.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self) * scale * wb.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
                    UnsafeMutableRawPointer(yr).storeBytes(of: v, toByteOffset: i * 4, as: Lanes.self)
                    i += 16
                }
                for j in i..<n { yr[j] = xr[j] * scale * wp[j] }
            }
        }
    }

    /// cos and sin of every rotation angle for each of `positions`: [positions.count][headDim/2] each.
    /// Computed once per forward pass and base, in Double, then shared by every layer and head.
    static func ropeTable(base: Float, headDim: Int, positions: [Int]) -> (cos: [Float], sin: [Float]) {
        let half = headDim / 2
        var c = [Float](repeating: 0, count: positions.count * half), s = c
        for i in 0..<half {
            let inverseFrequency = Foundation.pow(Double(base), -2 * Double(i) / Double(headDim))
            for (t, position) in positions.enumerated() {
                let theta = Double(position) * inverseFrequency
                c[t * half + i] = Float(Foundation.cos(theta))
                s[t * half + i] = Float(Foundation.sin(theta))
            }
        }
        return (c, s)
    }

    /// Rotates each head of `v` (heads × headDim) with one position's row of a rope table.
    static func rope(_ v: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, style: RopeStyle) {
        let half = headDim / 2
        for h in 0..<heads {
            let p = v + h * headDim
            for i in 0..<half {
                let (a, b) = style == .halves ? (i, i + half) : (2 * i, 2 * i + 1)
                let x0 = p[a], x1 = p[b]
                p[a] = x0 * cos[i] - x1 * sin[i]
                p[b] = x0 * sin[i] + x1 * cos[i]
            }
        }
    }
}
