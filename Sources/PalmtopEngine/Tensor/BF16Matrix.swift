import Foundation
import Synchronization
import CKernels

/// A row-major bf16 matrix: `rows` outputs × `cols` inputs (a GGUF weight with dims [cols, rows]),
/// 64-byte aligned for the kernels. Its storage comes from a `HugePageArena`.
package final class BF16Matrix: @unchecked Sendable {
    package let rows: Int
    package let cols: Int
    package let storage: UnsafeMutablePointer<UInt16>
    /// Keeps the arena (and so the storage) alive as long as the matrix.
    private let arena: HugePageArena

    package init(rows: Int, cols: Int, arena: HugePageArena? = nil) {
        self.rows = rows
        self.cols = cols
        let a = arena ?? HugePageArena(bytes: HugePageArena.footprint(rows * cols * 2))
        self.arena = a
        storage = a.take(bytes: rows * cols * 2).bindMemory(to: UInt16.self, capacity: max(rows * cols, 1))
    }

    package var byteCount: Int { rows * cols * 2 }

    package func row(_ r: Int) -> UnsafeMutablePointer<UInt16> { storage + r * cols }
}

/// One allocation, 2 MiB-aligned and advised as transparent huge pages, handed out in 64-byte granules:
/// all of a model's weights, or a KV cache. Decode streams every weight once per token, and with 4 KiB
/// pages the TLB misses cost about a fifth of a core's memory bandwidth (measured: Gemma 3 270M, one
/// thread, 36 → 46 tok/s); attention reads transposed keys a row per page apart.
package final class HugePageArena: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private var used = 0

    /// Bytes a block of `bytes` occupies in an arena (64-byte granules).
    package static func footprint(_ bytes: Int) -> Int { (max(bytes, 1) + 63) & ~63 }

    package init(bytes: Int) {
        let huge = 1 << 21
        size = max(bytes, 64)
        var raw: UnsafeMutableRawPointer?
        let alignment = size >= huge ? huge : 64
        guard posix_memalign(&raw, alignment, size) == 0, let raw else { fatalError("out of memory allocating \(size) bytes of weights") }
        if alignment == huge { madvise(raw, (size + huge - 1) & ~(huge - 1), MADV_HUGEPAGE) }
        base = raw
    }

    deinit { free(base) }

    package func take(bytes: Int) -> UnsafeMutableRawPointer {
        let n = Self.footprint(bytes)
        precondition(used + n <= size, "weight arena overflow")
        defer { used += n }
        return base + used
    }
}

/// How prefill (matrix × matrix) treats activations: `exact` adds back their bf16 rounding error with
/// a second product (~1e-6 relative; scoring needs it to stay within 0.1 nats of an f32 reference over
/// a prompt), `fast` rounds them once as llama.cpp's BF16 path does (~1e-3 relative per product, up to
/// ~0.1 nats on a next-token log-probability; about 1.5× the speed) and attends with bf16 queries,
/// keys, values and probabilities. Decode is memory-bound and always exact.
public enum PrefillPrecision: String, Sendable, CaseIterable { case exact, fast }

/// Matrix products over the thread pool: decode (one token) streams rows with f32 activations;
/// prefill (many tokens) uses the register-tiled bf16 kernel.
package struct MatrixOps {
    package let pool: ThreadPool
    package var precision: PrefillPrecision = .exact

    /// Exact passes over at most this many tokens use the matrix × vector kernel per token: below it,
    /// the 16-token bf16 GEMM (two products per weight when exact) does more work than the reads cost.
    static let exactMatvecTokens = Int(PK_MATVEC_MAX_TOKENS)

    /// The fewest tokens a sequence needs in a pass at `precision` for its rows of every product to
    /// come out bit for bit as when it runs alone, however many other sequences' tokens share the pass:
    /// below it a pass of its tokens alone takes a matrix × vector kernel that a larger one does not.
    static func batchInvariantTokens(_ precision: PrefillPrecision) -> Int {
        let kernel = Int(pk_matmul_invariant_tokens())
        return precision == .exact ? max(kernel, exactMatvecTokens + 1) : max(kernel, 2)
    }

    /// One matrix product of a batch: every row of `w` times every token into `y` ([tokens][w.rows]).
    private typealias Job = (w: BF16Matrix, y: UnsafeMutablePointer<Float>)

    /// y[t][r] = W[r] · x[t] for `tokens` rows of `x` (stride W.cols) into `y` (stride W.rows).
    package func multiply(_ w: BF16Matrix, _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>,
                         scratch: ActivationScratch) {
        run([(w, y)], x, tokens: tokens, scratch: scratch)
    }

    /// Several matrices applied to the same input in one parallel region (q, k and v; gate and up):
    /// on these small models one dispatch per matrix costs as much as the second core gains.
    package func multiply(_ jobs: [(w: BF16Matrix, y: UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, tokens: Int,
                         scratch: ActivationScratch) {
        run(jobs, x, tokens: tokens, scratch: scratch)
    }

    private func run(_ jobs: [Job], _ x: UnsafePointer<Float>, tokens: Int, scratch: ActivationScratch) {
        guard let cols = jobs.first?.w.cols else { return }
        precondition(jobs.allSatisfy { $0.w.cols == cols })
        if tokens == 1 || (precision == .exact && tokens <= Self.exactMatvecTokens) {
            // Decode streams weights from memory: two contiguous halves keep each core's reads sequential.
            // A few tokens at exact precision (verifying drafted tokens) take the matrix × vector kernel
            // for several tokens: each weight still comes from memory once, nothing is padded to the
            // GEMM's 16-token groups, and every output is bit-identical to one-token decoding's.
            var starts = [0]
            for j in jobs { starts.append(starts.last! + j.w.rows) }
            pool.parallelFor(starts.last!, grain: 64) { range in
                for (i, job) in jobs.enumerated() {
                    let a = max(range.lowerBound, starts[i]) - starts[i], b = min(range.upperBound, starts[i + 1]) - starts[i]
                    guard a < b else { continue }
                    if tokens == 1 {
                        pk_matvec_bf16(job.w.storage, x, job.y, Int64(a), Int64(b), Int64(cols))
                    } else {
                        pk_matvec_bf16_tokens(job.w.storage, x, job.y, Int64(job.w.rows), Int64(a), Int64(b), Int64(tokens), Int64(cols))
                    }
                }
            }
            return
        }
        // Prefill is compute-bound and the two cores of a shared machine rarely run at the same speed:
        // threads pack the activations together, then take chunks of whole register tiles (48 rows: four
        // tiles of 12, three panels of 16; 64 rows: two 32-row panels) from a shared counter until none are
        // left, so a slowed core does less instead of holding up the other. The last rows go out one tile
        // (12 rows with bf16 products, 16 on AVX2, 32 with AVX-512 f32 products) at a time, so whichever
        // thread finishes first waits for at most a tile, not a whole chunk, at the region's end; a tile of
        // the path's own height leaves no panel partly empty.
        let tileRows = Int(pk_matmul_tile_rows()), chunkRows = (48 + tileRows - 1) / tileRows * tileRows, threads = pool.threadCount
        var chunks: [(job: Int, rows: Range<Int>)] = []
        for (i, job) in jobs.enumerated() {
            let coarse = i == jobs.count - 1 ? max(0, job.w.rows - threads * chunkRows) : job.w.rows
            for lo in stride(from: 0, to: coarse, by: chunkRows) { chunks.append((i, lo..<min(lo + chunkRows, coarse))) }
            for lo in stride(from: coarse, to: job.w.rows, by: tileRows) { chunks.append((i, lo..<min(lo + tileRows, job.w.rows))) }
        }
        scratch.reserve(Int(pk_packed_count(Int64(tokens), Int64(cols))))
        let hi = scratch.hi, lo = precision == .exact ? scratch.lo : nil
        let groups = (tokens + 15) / 16
        let progress = RegionProgress()
        pool.runParts { part in
            pk_pack_bf16(x, hi, lo, Int64(tokens), Int64(cols), Int64(groups * part / threads), Int64(groups * (part + 1) / threads))
            progress.arriveAndWait(parties: threads)
            while true {
                let c = progress.nextChunk()
                guard c < chunks.count else { break }
                let job = jobs[chunks[c].job], rows = chunks[c].rows
                pk_matmul_bf16(job.w.storage, x, hi, lo, job.y, Int64(job.w.rows), Int64(rows.lowerBound), Int64(rows.upperBound),
                               Int64(tokens), Int64(cols))
            }
        }
    }
}

/// Counters shared by the threads of one parallel region: a barrier and a chunk dispenser.
private final class RegionProgress: @unchecked Sendable {
    private let arrived = Atomic<Int>(0)
    private let next = Atomic<Int>(0)

    func arriveAndWait(parties: Int) {
        arrived.add(1, ordering: .sequentiallyConsistent)
        while arrived.load(ordering: .sequentiallyConsistent) < parties {}
    }

    func nextChunk() -> Int { next.add(1, ordering: .relaxed).oldValue }
}

/// Reusable buffers for the packed bf16 halves of a batch of activations (see `pk_pack_bf16`).
package final class ActivationScratch {
    private(set) var hi: UnsafeMutablePointer<UInt16>
    private(set) var lo: UnsafeMutablePointer<UInt16>
    private var capacity: Int

    package init() {
        capacity = 0
        hi = .allocate(capacity: 1)
        lo = .allocate(capacity: 1)
    }

    deinit { hi.deallocate(); lo.deallocate() }

    func reserve(_ n: Int) {
        guard n > capacity else { return }
        hi.deallocate(); lo.deallocate()
        // 64-byte aligned: every 16-token column pair is one cache line the kernel loads whole.
        hi = UnsafeMutableRawPointer.allocate(byteCount: n * 2, alignment: 64).bindMemory(to: UInt16.self, capacity: n)
        lo = UnsafeMutableRawPointer.allocate(byteCount: n * 2, alignment: 64).bindMemory(to: UInt16.self, capacity: n)
        capacity = n
    }
}
