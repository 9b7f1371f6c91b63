import Foundation

/// Block formats → f32 → bf16. The arithmetic follows the reference dequantizers operation by operation
/// (no fused multiply-add), so the f32 values, and therefore their bf16 roundings, are bit-identical.
package enum Dequantize {
    /// Round-to-nearest-even f32 → bf16, keeping NaN a quiet NaN.
    @inline(__always)
    package static func bf16(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    @inline(__always)
    package static func float(bf16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// Decodes `count` elements (a whole number of blocks) starting at `src` into f32.
    package static func toFloat(_ type: GGMLType, src: UnsafeRawPointer, count: Int, dst: UnsafeMutablePointer<Float>) {
        let blocks = count / type.blockSize
        switch type {
        case .f32:
            for i in 0..<count { dst[i] = src.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
        case .f16:
            for i in 0..<count { dst[i] = half(src, i * 2) }
        case .bf16:
            for i in 0..<count { dst[i] = float(bf16: src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
        case .q8_0:
            for b in 0..<blocks {
                let p = src + b * 34, y = dst + b * 32
                let d = half(p, 0)
                for j in 0..<32 { y[j] = Float(Int8(bitPattern: p.load(fromByteOffset: 2 + j, as: UInt8.self))) * d }
            }
        case .q4_0, .q4_1:
            let hasMin = type == .q4_1
            for b in 0..<blocks {
                let p = src + b * type.blockBytes, y = dst + b * 32
                let d = half(p, 0), m = hasMin ? half(p, 2) : 0
                let qs = p + (hasMin ? 4 : 2)
                for j in 0..<16 {
                    let byte = qs.load(fromByteOffset: j, as: UInt8.self)
                    if hasMin {
                        y[j] = d * Float(byte & 0xF) + m
                        y[j + 16] = d * Float(byte >> 4) + m
                    } else {
                        y[j] = d * Float(Int(byte & 0xF) - 8)
                        y[j + 16] = d * Float(Int(byte >> 4) - 8)
                    }
                }
            }
        case .q5_0, .q5_1:
            let hasMin = type == .q5_1
            for b in 0..<blocks {
                let p = src + b * type.blockBytes, y = dst + b * 32
                let d = half(p, 0), m = hasMin ? half(p, 2) : 0
                let qhOffset = hasMin ? 4 : 2
                let qh = p.loadUnaligned(fromByteOffset: qhOffset, as: UInt32.self)
                let qs = p + qhOffset + 4
                for j in 0..<16 {
                    let byte = qs.load(fromByteOffset: j, as: UInt8.self)
                    let lo = Int(byte & 0xF) | Int((qh >> UInt32(j)) & 1) << 4
                    let hi = Int(byte >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                    if hasMin {
                        y[j] = d * Float(lo) + m
                        y[j + 16] = d * Float(hi) + m
                    } else {
                        y[j] = d * Float(lo - 16)
                        y[j + 16] = d * Float(hi - 16)
                    }
                }
            }
        case .q4_K, .q5_K:
            let isQ5 = type == .q5_K
            for b in 0..<blocks {
                let p = src + b * type.blockBytes, y = dst + b * 256
                let d = half(p, 0), dmin = half(p, 2)
                let scales = p + 4
                let qh = p + 16
                let qs = p + (isQ5 ? 48 : 16)
                for group in 0..<8 {
                    let (sc, mn) = scaleMinK4(group, scales)
                    let dl = d * Float(sc), ml = dmin * Float(mn)
                    let chunk = group / 2, shift = UInt8((group % 2) * 4)
                    for l in 0..<32 {
                        var q = Int((qs.load(fromByteOffset: chunk * 32 + l, as: UInt8.self) >> shift) & 0xF)
                        if isQ5 { q |= Int((qh.load(fromByteOffset: l, as: UInt8.self) >> UInt8(group)) & 1) << 4 }
                        y[group * 32 + l] = dl * Float(q) - ml
                    }
                }
            }
        case .q6_K:
            for b in 0..<blocks {
                let p = src + b * 210, y = dst + b * 256
                let ql = p, qh = p + 128, sc = p + 192
                let d = half(p, 208)
                for half128 in 0..<2 {
                    for l in 0..<32 {
                        let qlA = ql.load(fromByteOffset: half128 * 64 + l, as: UInt8.self)
                        let qlB = ql.load(fromByteOffset: half128 * 64 + l + 32, as: UInt8.self)
                        let h = qh.load(fromByteOffset: half128 * 32 + l, as: UInt8.self)
                        let scale = sc + half128 * 8 + l / 16
                        let s0 = d * Float(Int8(bitPattern: scale.load(as: UInt8.self)))
                        let s1 = d * Float(Int8(bitPattern: scale.load(fromByteOffset: 2, as: UInt8.self)))
                        let s2 = d * Float(Int8(bitPattern: scale.load(fromByteOffset: 4, as: UInt8.self)))
                        let s3 = d * Float(Int8(bitPattern: scale.load(fromByteOffset: 6, as: UInt8.self)))
                        let out = y + half128 * 128 + l
                        out[0] = s0 * Float((Int(qlA & 0xF) | Int(h & 3) << 4) - 32)
                        out[32] = s1 * Float((Int(qlB & 0xF) | Int((h >> 2) & 3) << 4) - 32)
                        out[64] = s2 * Float((Int(qlA >> 4) | Int((h >> 4) & 3) << 4) - 32)
                        out[96] = s3 * Float((Int(qlB >> 4) | Int((h >> 6) & 3) << 4) - 32)
                    }
                }
            }
        }
    }

    /// The 6-bit scale and min of sub-block `j` in a Q4_K/Q5_K block's 12 packed scale bytes.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (UInt8, UInt8) {
        let b = { (i: Int) in q.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (b(j) & 63, b(j + 4) & 63) }
        return ((b(j + 4) & 0xF) | ((b(j - 4) >> 6) << 4), (b(j + 4) >> 4) | ((b(j) >> 6) << 4))
    }

    /// Dequantizes a whole tensor to bf16, rows split across threads.
    package static func toBF16(file: GGUFFile, tensor: GGUFTensorInfo, into dst: UnsafeMutablePointer<UInt16>, pool: ThreadPool) {
        let rowLength = tensor.dims[0]
        let rows = tensor.rowCount
        let rowBytes = rowLength / tensor.type.blockSize * tensor.type.blockBytes
        let src = file.data(of: tensor)
        let type = tensor.type
        pool.parallelFor(rows, grain: max(1, 65536 / rowLength)) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: rowLength)
            defer { scratch.deallocate() }
            for r in range {
                if type == .bf16 {
                    (dst + r * rowLength).update(from: (src + r * rowBytes).assumingMemoryBound(to: UInt16.self), count: rowLength)
                    continue
                }
                toFloat(type, src: src + r * rowBytes, count: rowLength, dst: scratch)
                let out = dst + r * rowLength
                for i in 0..<rowLength { out[i] = bf16(scratch[i]) }
            }
        }
    }

    /// Dequantizes a (small) tensor to f32, e.g. norm weights.
    package static func toFloatArray(file: GGUFFile, tensor: GGUFTensorInfo) -> [Float] {
        [Float](unsafeUninitializedCapacity: tensor.elementCount) { buf, n in
            toFloat(tensor.type, src: file.data(of: tensor), count: tensor.elementCount, dst: buf.baseAddress!)
            n = tensor.elementCount
        }
    }
}
