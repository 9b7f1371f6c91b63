import XCTest
import CKernels
import PalmtopEngine

/// Each fast kernel path against the portable reference beside it.
final class KernelTests: XCTestCase {
    override func tearDown() { _ = pk_set_path(pk_best_path()) }

    func randomBF16(_ n: Int, _ rng: inout SeededRandom) -> [UInt16] {
        (0..<n).map { _ in Dequantize.bf16(Float(rng.unit() * 2 - 1)) }
    }

    func testMatvecPathsAgree() {
        var rng = SeededRandom(seed: 3)
        for cols in [7, 32, 64, 100, 640] {
            let rows = 37
            let w = randomBF16(rows * cols, &rng)
            let x = (0..<cols).map { _ in Float(rng.unit() * 2 - 1) }
            var reference = [Float](repeating: 0, count: rows)
            _ = pk_set_path(PK_PATH_PORTABLE)
            pk_matvec_bf16(w, x, &reference, 0, Int64(rows), Int64(cols))
            for path in [PK_PATH_AVX2, PK_PATH_AVX512BF16] where pk_set_path(path) == path {
                var y = [Float](repeating: 0, count: rows)
                pk_matvec_bf16(w, x, &y, 0, Int64(rows), Int64(cols))
                for r in 0..<rows { XCTAssertEqual(y[r], reference[r], accuracy: 1e-4, "path \(path) cols \(cols)") }
            }
        }
    }

    /// Verifying drafted tokens multiplies a few tokens at once; each token's outputs must be exactly
    /// the one-token kernel's on every path (odd widths, tails, more than four tokens, wide rows).
    func testMatvecOverSeveralTokensEqualsTheOneTokenKernelBitForBit() {
        var rng = SeededRandom(seed: 4)
        for cols in [7, 100, 640, 2100] {
            let rows = 37
            let w = randomBF16(rows * cols, &rng)
            for tokens in [2, 3, 5, Int(PK_MATVEC_MAX_TOKENS)] {
                let x = (0..<tokens * cols).map { _ in Float(rng.unit() * 2 - 1) }
                for path in [PK_PATH_PORTABLE, PK_PATH_AVX2, PK_PATH_AVX512BF16] where pk_set_path(path) == path {
                    var one = [Float](repeating: 0, count: tokens * rows), many = one
                    for t in 0..<tokens {
                        x.withUnsafeBufferPointer { xp in one.withUnsafeMutableBufferPointer { yp in
                            pk_matvec_bf16(w, xp.baseAddress! + t * cols, yp.baseAddress! + t * rows, 3, Int64(rows), Int64(cols))
                        } }
                    }
                    pk_matvec_bf16_tokens(w, x, &many, Int64(rows), 3, Int64(rows), Int64(tokens), Int64(cols))
                    XCTAssertEqual(many, one, "path \(path) cols \(cols) tokens \(tokens)")
                }
            }
        }
    }

    func testMatmulPathsAgree() {
        var rng = SeededRandom(seed: 5)
        // Row counts cover whole 12- and 4-row tiles and single rows; token counts one, two and three
        // 16-token groups with ragged ends; odd columns take the per-token fallback.
        for (rows, cols, tokens) in [(8, 64, 4), (13, 96, 7), (64, 640, 9), (5, 50, 3), (29, 34, 33), (16, 66, 48), (7, 33, 5)] {
            let w = randomBF16(rows * cols, &rng)
            let x = (0..<tokens * cols).map { _ in Float(rng.unit() * 2 - 1) }
            var hi = [UInt16](repeating: 0, count: Int(pk_packed_count(Int64(tokens), Int64(cols)))), lo = hi
            _ = pk_set_path(pk_best_path())  // packing is a no-op on paths that read the f32 activations
            pk_pack_bf16(x, &hi, &lo, Int64(tokens), Int64(cols), 0, Int64((tokens + 15) / 16))
            // Threads pack disjoint ranges of 16-token groups: two halves give the same buffers as one call.
            let groups = Int64((tokens + 15) / 16)
            var hiHalves = [UInt16](repeating: 0, count: hi.count), loHalves = hiHalves
            pk_pack_bf16(x, &hiHalves, &loHalves, Int64(tokens), Int64(cols), 0, groups / 2)
            pk_pack_bf16(x, &hiHalves, &loHalves, Int64(tokens), Int64(cols), groups / 2, groups)
            XCTAssertEqual(hiHalves, hi)
            XCTAssertEqual(loHalves, lo)
            var reference = [Float](repeating: 0, count: rows * tokens)
            _ = pk_set_path(PK_PATH_PORTABLE)
            pk_matmul_bf16(w, x, hi, lo, &reference, Int64(rows), 0, Int64(rows), Int64(tokens), Int64(cols))
            for path in [PK_PATH_AVX2, PK_PATH_AVX512BF16] where pk_set_path(path) == path {
                var y = [Float](repeating: 0, count: rows * tokens)
                pk_matmul_bf16(w, x, hi, lo, &y, Int64(rows), 0, Int64(rows), Int64(tokens), Int64(cols))
                for i in 0..<y.count {
                    // hi + lo reproduces the f32 activations to ~1e-6 relative.
                    XCTAssertEqual(y[i], reference[i], accuracy: 1e-4 * max(1, abs(reference[i])), "path \(path) \(rows)x\(cols)x\(tokens)")
                }
                // The fast variant rounds activations once: ~2^-9 relative per product, growing like sqrt(cols).
                var fast = [Float](repeating: 0, count: rows * tokens)
                var single = [UInt16](repeating: 0, count: hi.count)
                pk_pack_bf16(x, &single, nil, Int64(tokens), Int64(cols), 0, Int64((tokens + 15) / 16))
                pk_matmul_bf16(w, x, single, nil, &fast, Int64(rows), 0, Int64(rows), Int64(tokens), Int64(cols))
                for i in 0..<y.count { XCTAssertEqual(fast[i], reference[i], accuracy: 4e-3 * Float(cols).squareRoot()) }
            }
        }
    }

    func testGatedActivationsMatchTheirFormulas() {
        var rng = SeededRandom(seed: 11)
        let x = (0..<1000).map { _ in Float(rng.unit() * 20 - 10) }
        let up = (0..<1000).map { _ in Float(rng.unit() * 2 - 1) }
        for gelu in [Int32(0), 1] {
            var gate = x
            pk_gated_activation(&gate, up, Int64(x.count), gelu)
            for i in x.indices {
                let v = Double(x[i])
                let act = gelu == 1 ? 0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))) : v / (1 + exp(-v))
                XCTAssertEqual(Double(gate[i]), act * Double(up[i]), accuracy: 1e-5 * max(1, abs(act)), "gelu=\(gelu) x=\(x[i])")
            }
        }
    }

    func testLogSumExpAndEntropyMatchDoublePrecision() {
        var rng = SeededRandom(seed: 13)
        let logits = (0..<262_147).map { _ in Float(rng.unit() * 30 - 15) }
        let m = Double(logits.max()!)
        let sum = logits.reduce(0.0) { $0 + exp(Double($1) - m) }
        let expectedLSE = m + log(sum)
        let expectedEntropy = -logits.reduce(0.0) { let p = exp(Double($1) - expectedLSE); return $0 + p * (Double($1) - expectedLSE) }
        for path in [PK_PATH_PORTABLE, PK_PATH_AVX512BF16] where pk_set_path(path) == path {
            var lse: Float = 0, entropy: Float = 0
            pk_logsumexp_entropy(logits, Int64(logits.count), &lse, &entropy)
            XCTAssertEqual(Double(lse), expectedLSE, accuracy: 1e-4)
            XCTAssertEqual(Double(entropy), expectedEntropy, accuracy: 1e-4)
        }
    }

    /// One or two query tokens per call (the second seeing one more position), with the positions whole
    /// or cut in two as a wrapped ring presents them, and with a start inside a key block (a moved
    /// sliding window), against the portable path on one token at a time.
    func testAttentionPathsAgree() {
        var rng = SeededRandom(seed: 17)
        for (heads, dim, n) in [(1, 64, 1), (3, 64, 37), (4, 256, 130), (5, 48, 17), (9, 64, 64), (2, 32, 200)] {
            let problem = AttentionProblem(heads: heads, dim: dim, positions: n, tokens: 2, &rng)
            let (blocks, qDim, ks, q, keys, v) = (problem.blocks, problem.qDim, problem.ks, problem.q, problem.keys, problem.v)
            var scores = [Float](repeating: 0, count: 8 * blocks * 16)
            keys.withUnsafeBufferPointer { k in
                v.withUnsafeBufferPointer { vp in
                    let none = pk_kv_segment(keys: nil, values: nil, n: 0, skip: 0)
                    let cut = n / 32 * 16  // a wrapped ring's second run starts at a block boundary
                    for skip in Set([0, min(5, n - 1)]) {
                        let whole = [pk_kv_segment(keys: k.baseAddress, values: vp.baseAddress, n: Int64(n), skip: Int64(skip)), none]
                        let split = cut > skip
                            ? [pk_kv_segment(keys: k.baseAddress, values: vp.baseAddress, n: Int64(cut), skip: Int64(skip)),
                               pk_kv_segment(keys: k.baseAddress! + cut / 16 * ks, values: vp.baseAddress! + cut * dim, n: Int64(n - cut), skip: 0)]
                            : whole
                        // Reference: each token alone on the portable path; the first sees one position less.
                        let counts: [Int64] = [Int64(max(n - 1, skip + 1)), Int64(n)]
                        var reference = [Float](repeating: 0, count: 2 * qDim)
                        _ = pk_set_path(PK_PATH_PORTABLE)
                        for t in 0..<2 {
                            var count = counts[t]
                            q.withUnsafeBufferPointer { qp in
                                reference.withUnsafeMutableBufferPointer { rp in
                                    pk_attend(qp.baseAddress! + t * qDim, Int64(qDim), 1, Int64(heads), Int64(dim), whole, &count, Int64(ks),
                                              Int64(dim), 0.125, &scores, rp.baseAddress! + t * qDim, Int64(qDim), nil)
                                }
                            }
                        }
                        // The reference itself against a plain softmax-attention over the same positions.
                        for t in 0..<2 {
                            for h in 0..<heads {
                                let qh = Array(q[(t * qDim + h * dim)..<(t * qDim + (h + 1) * dim)])
                                let positions = skip..<Int(counts[t])
                                let logits = positions.map { j in (0..<dim).reduce(Float(0)) { $0 + qh[$1] * keys[(j / 16) * ks + $1 * 16 + j % 16] } * 0.125 }
                                let m = logits.max()!, e = logits.map { exp($0 - m) }, z = e.reduce(0, +)
                                for i in 0..<dim {
                                    let expected = zip(positions, e).reduce(Float(0)) { $0 + $1.1 / z * v[$1.0 * dim + i] }
                                    XCTAssertEqual(reference[t * qDim + h * dim + i], expected, accuracy: 1e-5)
                                }
                            }
                        }
                        for path in [PK_PATH_PORTABLE, PK_PATH_AVX512BF16] where pk_set_path(path) == path {
                            for segments in [whole, split] {
                                var out = [Float](repeating: 0, count: 2 * qDim)
                                pk_attend(q, Int64(qDim), 2, Int64(heads), Int64(dim), segments, counts, Int64(ks), Int64(dim), 0.125,
                                          &scores, &out, Int64(qDim), nil)
                                for i in out.indices {
                                    XCTAssertEqual(out[i], reference[i], accuracy: 1e-5, "path \(path) heads \(heads) dim \(dim) n \(n) skip \(skip)")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Decode splits a token's positions into runs, one per thread: attention over each run, merged by
    /// the runs' softmax statistics, equals attention over all of them, on every path.
    func testAttentionOverRunsMergesToTheWhole() {
        var rng = SeededRandom(seed: 23)
        for (heads, dim, n, skip) in [(4, 256, 300, 7), (3, 64, 33, 0), (1, 32, 17, 15)] {
            let problem = AttentionProblem(heads: heads, dim: dim, positions: n, tokens: 1, &rng)
            let (qDim, ks, q, keys, v) = (problem.qDim, problem.ks, problem.q, problem.keys, problem.v)
            var scores = [Float](repeating: 0, count: 8 * n)
            let cut = (skip / 16 + 1) * 16  // the second run starts at the next key block
            keys.withUnsafeBufferPointer { k in
                v.withUnsafeBufferPointer { vp in
                    let none = pk_kv_segment(keys: nil, values: nil, n: 0, skip: 0)
                    let runs = [[pk_kv_segment(keys: k.baseAddress, values: vp.baseAddress, n: Int64(n), skip: Int64(skip)), none],
                                [pk_kv_segment(keys: k.baseAddress, values: vp.baseAddress, n: Int64(cut), skip: Int64(skip)), none],
                                [pk_kv_segment(keys: k.baseAddress! + cut / 16 * ks, values: vp.baseAddress! + cut * dim, n: Int64(n - cut), skip: 0), none]]
                    for path in [PK_PATH_PORTABLE, PK_PATH_AVX512BF16] where pk_set_path(path) == path {
                        var outs: [[Float]] = [], stats: [[Float]] = []
                        for run in runs {
                            var out = [Float](repeating: 0, count: qDim), stat = [Float](repeating: 0, count: 2 * heads)
                            var count = run[0].n
                            pk_attend(q, Int64(qDim), 1, Int64(heads), Int64(dim), run, &count, Int64(ks), Int64(dim), 0.125,
                                      &scores, &out, Int64(qDim), &stat)
                            outs.append(out)
                            stats.append(stat)
                        }
                        for h in 0..<heads {
                            let largest = max(stats[1][2 * h], stats[2][2 * h])
                            let w1 = stats[1][2 * h + 1] * exp(stats[1][2 * h] - largest), w2 = stats[2][2 * h + 1] * exp(stats[2][2 * h] - largest)
                            for i in 0..<dim {
                                let merged = (w1 * outs[1][h * dim + i] + w2 * outs[2][h * dim + i]) / (w1 + w2)
                                XCTAssertEqual(merged, outs[0][h * dim + i], accuracy: 1e-5, "path \(path) heads \(heads) n \(n) skip \(skip)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The bf16 copy of a run (whole, or cut in two as a wrapped ring presents it) is the same on both
    /// paths; attention over it agrees between paths to f32 rounding, and with f32 attention to bf16
    /// rounding — for one token or two starting inside a key block, with the copy read from a later
    /// block, and with more heads than one pass takes.
    func testBF16AttentionPathsAgree() {
        var rng = SeededRandom(seed: 19)
        for (heads, dim, n) in [(1, 64, 21), (3, 64, 100), (4, 256, 130), (2, 48, 67), (4, 32, 200), (9, 64, 90)] {
            let problem = AttentionProblem(heads: heads, dim: dim, positions: n, tokens: 2, &rng)
            let (blocks, qDim, ks, q, keys, v) = (problem.blocks, problem.qDim, problem.ks, problem.q, problem.keys, problem.v)
            let count = Int(pk_kv_bf16_count(Int64(n), Int64(dim)))
            // The tokens attend from position `from`: its block is `offset` positions into the copy.
            let from = min(n - 2, 21), offset = from / 16 * 16, skip = from - offset
            var scores = [Float](repeating: 0, count: 8 * (n + 64))
            for tokens in [1, 2] {
                let counts: [Int64] = tokens == 2 ? [Int64(n - 1 - offset), Int64(n - offset)] : [Int64(n - offset)]
                let label = "heads \(heads) dim \(dim) n \(n) tokens \(tokens)"
                keys.withUnsafeBufferPointer { k in
                    v.withUnsafeBufferPointer { vp in
                        let cut = n / 32 * 16
                        let whole = [pk_kv_segment(keys: k.baseAddress, values: vp.baseAddress, n: Int64(n), skip: 0),
                                     pk_kv_segment(keys: nil, values: nil, n: 0, skip: 0)]
                        let split = [pk_kv_segment(keys: k.baseAddress, values: vp.baseAddress, n: Int64(cut), skip: 0),
                                     pk_kv_segment(keys: k.baseAddress! + cut / 16 * ks, values: vp.baseAddress! + cut * dim, n: Int64(n - cut), skip: 0)]
                        // f32 reference over the same positions.
                        let tail = [pk_kv_segment(keys: k.baseAddress! + offset / 16 * ks, values: vp.baseAddress! + offset * dim,
                                                  n: Int64(n - offset), skip: Int64(skip)), whole[1]]
                        var reference = [Float](repeating: 0, count: tokens * qDim)
                        pk_attend(q, Int64(qDim), Int64(tokens), Int64(heads), Int64(dim), tail, counts, Int64(ks), Int64(dim), 0.125,
                                  &scores, &reference, Int64(qDim), nil)
                        var copies: [[UInt16]] = []
                        var outputs: [[Float]] = []
                        for path in [PK_PATH_PORTABLE, PK_PATH_AVX512BF16] where pk_set_path(path) == path {
                            for segments in [whole, split] {
                                var packedKeys = [UInt16](repeating: 0xFFFF, count: count), packedValues = packedKeys
                                pk_pack_kv_bf16(segments, Int64(ks), Int64(dim), Int64(dim), 0, Int64(blocks), &packedKeys, &packedValues)
                                copies.append(packedKeys + packedValues)
                                var out = [Float](repeating: 0, count: tokens * qDim)
                                pk_attend_bf16(q, Int64(qDim), Int64(tokens), Int64(heads), Int64(dim), Array(packedKeys[(offset * dim)...]),
                                               Array(packedValues[(offset * dim)...]), Int64(skip), counts, 0.125, &scores, &out, Int64(qDim))
                                outputs.append(out)
                            }
                        }
                        for copy in copies.dropFirst() { XCTAssertEqual(copy, copies[0], label) }
                        for out in outputs {
                            for i in out.indices {
                                XCTAssertEqual(out[i], outputs[0][i], accuracy: 1e-5, label)
                                XCTAssertEqual(out[i], reference[i], accuracy: 2e-2, label)
                            }
                        }
                    }
                }
            }
        }
    }

    func testThreadPoolCoversEveryIndexOnce() {
        let pool = ThreadPool(threads: 3)
        for count in [1, 2, 5, 64, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
            hits.initialize(repeating: 0, count: count)
            pool.parallelFor(count, grain: 4) { r in for i in r { hits[i] += 1 } }
            XCTAssertEqual(Array(UnsafeBufferPointer(start: hits, count: count)), [Int](repeating: 1, count: count))
            hits.deallocate()
        }
    }
}

/// Random queries, keys and values for attention tests: keys in blocks of 16 positions
/// ([block][dim][16], as the cache keeps them), values one row per position.
struct AttentionProblem {
    let blocks: Int, qDim: Int, ks: Int
    let q: [Float], keys: [Float], v: [Float]

    init(heads: Int, dim: Int, positions n: Int, tokens: Int, _ rng: inout SeededRandom) {
        blocks = (n + 15) / 16
        qDim = heads * dim
        ks = dim * 16
        q = (0..<tokens * heads * dim).map { _ in Float(rng.unit() * 2 - 1) }
        keys = (0..<blocks * dim * 16).map { _ in Float(rng.unit() * 2 - 1) }
        v = (0..<blocks * 16 * dim).map { _ in Float(rng.unit() * 2 - 1) }
    }
}
