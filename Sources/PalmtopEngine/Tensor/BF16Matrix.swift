import Foundation
import CKernels

/// A row-major bf16 matrix: `rows` outputs × `cols` inputs (a GGUF weight with dims [cols, rows]),
/// 64-byte aligned for the kernels. Its storage comes from a `WeightArena`.
public final class BF16Matrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    public let storage: UnsafeMutablePointer<UInt16>
    /// Keeps the arena (and so the storage) alive as long as the matrix.
    private let arena: WeightArena

    public init(rows: Int, cols: Int, arena: WeightArena? = nil) {
        self.rows = rows
        self.cols = cols
        let a = arena ?? WeightArena(bytes: WeightArena.footprint(rows * cols * 2))
        self.arena = a
        storage = a.take(bytes: rows * cols * 2).bindMemory(to: UInt16.self, capacity: max(rows * cols, 1))
    }

    public var byteCount: Int { rows * cols * 2 }

    public func row(_ r: Int) -> UnsafeMutablePointer<UInt16> { storage + r * cols }
}

/// One allocation for all of a model's weights, 2 MiB-aligned and advised as transparent huge pages:
/// decode streams every weight once per token, and with 4 KiB pages the TLB misses cost about a fifth
/// of a core's memory bandwidth (measured: Gemma 3 270M, one thread, 36 → 46 tok/s).
public final class WeightArena: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private var used = 0

    /// Bytes a block of `bytes` occupies in an arena (64-byte granules).
    public static func footprint(_ bytes: Int) -> Int { (max(bytes, 1) + 63) & ~63 }

    public init(bytes: Int) {
        let huge = 1 << 21
        size = max(bytes, 64)
        var raw: UnsafeMutableRawPointer?
        let alignment = size >= huge ? huge : 64
        guard posix_memalign(&raw, alignment, size) == 0, let raw else { fatalError("out of memory allocating \(size) bytes of weights") }
        if alignment == huge { madvise(raw, (size + huge - 1) & ~(huge - 1), MADV_HUGEPAGE) }
        base = raw
    }

    deinit { free(base) }

    func take(bytes: Int) -> UnsafeMutableRawPointer {
        let n = Self.footprint(bytes)
        precondition(used + n <= size, "weight arena overflow")
        defer { used += n }
        return base + used
    }
}

/// How prefill (matrix × matrix) treats activations: `exact` adds back their bf16 rounding error with
/// a second product (~1e-6 relative; scoring needs it to stay within 0.1 nats of an f32 reference over
/// a prompt), `fast` rounds them once as llama.cpp's BF16 path does (~1e-3 relative per product, up to
/// ~0.1 nats on a next-token log-probability; about 1.5× the speed). Decode is memory-bound and always
/// exact.
public enum PrefillPrecision: String, Sendable, CaseIterable { case exact, fast }

/// Matrix products over the thread pool: decode (one token) streams rows with f32 activations;
/// prefill (many tokens) uses the register-tiled bf16 kernel.
public struct MatrixOps {
    public let pool: ThreadPool
    public var precision: PrefillPrecision = .exact

    /// y[t][r] = W[r] · x[t] for `tokens` rows of `x` (stride W.cols) into `y` (stride `ldy`), rows [r0, r1).
    public func multiply(_ w: BF16Matrix, _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>,
                         ldy: Int? = nil, rows: Range<Int>? = nil, scratch: ActivationScratch) {
        let range = rows ?? 0..<w.rows
        let ldy = ldy ?? w.rows
        let cols = w.cols
        let wp = w.storage
        if tokens == 1 {
            pool.parallelFor(range.count, grain: 64) { part in
                pk_matvec_bf16(wp, x, y - range.lowerBound, Int64(range.lowerBound + part.lowerBound),
                               Int64(range.lowerBound + part.upperBound), Int64(cols))
            }
            return
        }
        scratch.reserve(Int(pk_packed_count(Int64(tokens), Int64(cols))))
        let hi = scratch.hi, lo = precision == .exact ? scratch.lo : nil
        pk_pack_bf16(x, hi, lo, Int64(tokens), Int64(cols))
        let base = range.lowerBound
        pool.parallelFor(range.count, grain: 16) { part in
            pk_matmul_bf16(wp, x, hi, lo, y - base, Int64(ldy), Int64(base + part.lowerBound), Int64(base + part.upperBound),
                           Int64(tokens), Int64(cols))
        }
    }
}

extension MatrixOps {
    /// Several matrices applied to the same input in one parallel region (q, k and v; gate and up):
    /// on these small models one dispatch per matrix costs as much as the second core gains.
    public func multiply(_ jobs: [(w: BF16Matrix, y: UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, tokens: Int,
                         scratch: ActivationScratch) {
        guard let cols = jobs.first?.w.cols else { return }
        precondition(jobs.allSatisfy { $0.w.cols == cols })
        var starts = [0]
        for j in jobs { starts.append(starts.last! + j.w.rows) }
        let total = starts.last!
        var hi: UnsafeMutablePointer<UInt16>? = nil, lo: UnsafeMutablePointer<UInt16>? = nil
        if tokens > 1 {
            scratch.reserve(Int(pk_packed_count(Int64(tokens), Int64(cols))))
            hi = scratch.hi
            lo = precision == .exact ? scratch.lo : nil
            pk_pack_bf16(x, hi, lo, Int64(tokens), Int64(cols))
        }
        let (h, l) = (hi, lo)
        pool.parallelFor(total, grain: tokens == 1 ? 64 : 16) { range in
            for (i, job) in jobs.enumerated() {
                let a = max(range.lowerBound, starts[i]) - starts[i], b = min(range.upperBound, starts[i + 1]) - starts[i]
                guard a < b else { continue }
                if tokens == 1 {
                    pk_matvec_bf16(job.w.storage, x, job.y, Int64(a), Int64(b), Int64(cols))
                } else {
                    pk_matmul_bf16(job.w.storage, x, h, l, job.y, Int64(job.w.rows), Int64(a), Int64(b), Int64(tokens), Int64(cols))
                }
            }
        }
    }
}

/// Reusable buffers for the packed bf16 halves of a batch of activations (see `pk_pack_bf16`).
public final class ActivationScratch {
    private(set) var hi: UnsafeMutablePointer<UInt16>
    private(set) var lo: UnsafeMutablePointer<UInt16>
    private var capacity: Int

    public init() {
        capacity = 0
        hi = .allocate(capacity: 1)
        lo = .allocate(capacity: 1)
    }

    deinit { hi.deallocate(); lo.deallocate() }

    func reserve(_ n: Int) {
        guard n > capacity else { return }
        hi.deallocate(); lo.deallocate()
        // 64-byte aligned: every 16-token column pair is one cache line the kernel loads whole.
        // 64-byte aligned: every 16-token column pair is one cache line the kernel loads whole.
        hi = UnsafeMutableRawPointer.allocate(byteCount: n * 2, alignment: 64).bindMemory(to: UInt16.self, capacity: n)
        lo = UnsafeMutableRawPointer.allocate(byteCount: n * 2, alignment: 64).bindMemory(to: UInt16.self, capacity: n)
        capacity = n
    }
}

/// The kernel implementation in use: "avx512bf16", "avx2" or "portable".
public var kernelPathName: String {
    switch pk_current_path() {
    case PK_PATH_AVX512BF16: return "avx512bf16"
    case PK_PATH_AVX2: return "avx2"
    default: return "portable"
    }
}
