import CKernels

/// Keys and values of every layer for positions 0..<count, in f32. Decode reads the cache once per
/// token next to the weights: at 512 positions that is ~3% of the bytes for Gemma 3 270M and ~9% for
/// SmolLM2 (3 KV heads × 30 layers), so bf16 would buy a few percent there, at the cost of rounding
/// keys and values; at several thousand positions SmolLM2's cache rivals its weights and bf16 would pay.
///
/// Keys are stored transposed in blocks of 16 slots — each block one row of 16 per key dimension — so
/// attention scores 16 positions per vector instruction and reads a block's keys as one contiguous
/// run (a whole-row transpose put every dimension of a position a page apart); values are one row per
/// slot. Global layers have a slot per position. Sliding-window layers keep only a ring of
/// `window + slack` slots: enough for the window plus a prefill batch, and room to truncate back a
/// little (an edited prompt) without recomputing.
/// `truncate(to:)` drops positions from p on — what prefix reuse needs when a prompt is edited.
package final class KVCache: @unchecked Sendable {
    package let layers: Int
    package let capacity: Int
    package let kvDim: Int
    /// Slots per layer: `capacity` for global layers, at most window + slack for sliding ones, rounded
    /// up to whole key blocks.
    package let slots: [Int]
    package let window: Int?
    package private(set) var count = 0
    private let offsets: [Int]
    /// Per layer, the lowest position whose slot has not been overwritten by a later one.
    private var intactFrom: [Int]
    private let keys: UnsafeMutablePointer<Float>    // per layer [slots / 16][kvDim][16]
    private let values: UnsafeMutablePointer<Float>  // per layer [slots][kvDim]
    private let arena: HugePageArena
    /// What the cache was made with, for `copy()`.
    private let sliding: [Bool], slack: Int

    package init(layers: Int, capacity: Int, kvDim: Int, window: Int? = nil, isSliding: (Int) -> Bool = { _ in false },
                slack: Int = 1024) {
        self.layers = layers
        self.capacity = capacity
        self.kvDim = kvDim
        self.window = window
        precondition(slack >= Decoder.maxBatch, "a prefill batch must fit in a sliding layer's ring")
        sliding = (0..<layers).map(isSliding)
        self.slack = slack
        slots = (0..<layers).map { [sliding] l in
            let n = window.map { sliding[l] ? min(capacity, $0 + slack) : capacity } ?? capacity
            return (n + 15) / 16 * 16
        }
        var offsets: [Int] = []
        var total = 0
        for s in slots { offsets.append(total); total += s * kvDim }
        self.offsets = offsets
        intactFrom = Array(repeating: 0, count: layers)
        let bytes = max(total, 1) * MemoryLayout<Float>.stride
        arena = HugePageArena(bytes: 2 * HugePageArena.footprint(bytes))
        keys = arena.take(bytes: bytes).bindMemory(to: Float.self, capacity: max(total, 1))
        values = arena.take(bytes: bytes).bindMemory(to: Float.self, capacity: max(total, 1))
    }

    /// Floats from one block of 16 keys to the next.
    package var keyBlockStride: Int { kvDim * 16 }
    /// The key block holding `slot`, at dimension `dimension` (element slot % 16 is that slot's).
    func keyBlock(layer: Int, slot: Int, dimension: Int) -> UnsafeMutablePointer<Float> {
        keys + offsets[layer] + (slot / 16) * keyBlockStride + dimension * 16
    }
    func valueRow(layer: Int, slot: Int) -> UnsafeMutablePointer<Float> { values + offsets[layer] + slot * kvDim }

    /// Writes one position's key and value (each `kvDim` floats). Threads may write different positions
    /// of a batch at once; `stored(layer:through:)` then records the batch.
    func write(layer: Int, position: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        let slot = position % slots[layer]
        let column = keyBlock(layer: layer, slot: slot, dimension: 0) + slot % 16
        for d in 0..<kvDim { column[d * 16] = key[d] }
        valueRow(layer: layer, slot: slot).update(from: value, count: kvDim)
    }

    /// Records that a layer's positions up to `last` were written (older slots of a ring are now gone).
    func stored(layer: Int, through last: Int) {
        intactFrom[layer] = max(intactFrom[layer], last - slots[layer] + 1)
    }

    /// Positions first...last of one KV head (dimensions from `offset`) as at most two runs of slots. The
    /// first run starts at its key block's first slot and skips the slots before `first`; the second
    /// (after the ring wraps) starts at slot 0.
    func segments(layer: Int, first: Int, last: Int, offset: Int) -> (pk_kv_segment, pk_kv_segment) {
        let n = slots[layer], a = first % n, b = last % n
        func run(_ from: Int, through end: Int, skip: Int) -> pk_kv_segment {
            let start = from - skip
            return pk_kv_segment(keys: keyBlock(layer: layer, slot: start, dimension: offset), values: valueRow(layer: layer, slot: start) + offset,
                                 n: Int64(end - start + 1), skip: Int64(skip))
        }
        if a <= b { return (run(a, through: b, skip: a % 16), pk_kv_segment(keys: nil, values: nil, n: 0, skip: 0)) }
        return (run(a, through: n - 1, skip: a % 16), run(0, through: b, skip: 0))
    }

    /// Whether generation can continue from `position` with what is stored: every sliding layer must
    /// still hold the window before it.
    package func canResume(at position: Int) -> Bool {
        guard let window else { return true }
        return (0..<layers).allSatisfy { intactFrom[$0] <= max(0, position - window + 1) }
    }

    /// Forgets positions from `position` on.
    package func truncate(to position: Int) {
        count = min(count, max(0, position))
        if count == 0 { intactFrom = Array(repeating: 0, count: layers) }
    }

    func advance(to n: Int) { count = n }

    /// An independent copy (e.g. to branch a conversation).
    package func copy() -> KVCache {
        let c = KVCache(layers: layers, capacity: capacity, kvDim: kvDim, window: window, isSliding: { self.sliding[$0] }, slack: slack)
        let total = offsets.last.map { $0 + slots.last! * kvDim } ?? 0
        c.keys.update(from: keys, count: total)
        c.values.update(from: values, count: total)
        c.count = count
        c.intactFrom = intactFrom
        return c
    }

    /// Takes positions 0..<n from `source` (a cache of the same model, holding at least n positions):
    /// sequences that share a prompt prefix copy its keys and values instead of computing them again.
    /// Returns false, copying nothing, where a ring layer of either cache no longer holds them in the
    /// same slots (a prefix longer than a sliding window's ring).
    package func copyPrefix(from source: KVCache, count n: Int) -> Bool {
        precondition(source.layers == layers && source.kvDim == kvDim && n <= source.count && n <= capacity)
        guard (0..<layers).allSatisfy({ n <= slots[$0] && n <= source.slots[$0] && source.intactFrom[$0] == 0 }) else { return false }
        let blocks = (n + 15) / 16
        for l in 0..<layers {
            keys.advanced(by: offsets[l]).update(from: source.keys.advanced(by: source.offsets[l]), count: blocks * keyBlockStride)
            values.advanced(by: offsets[l]).update(from: source.values.advanced(by: source.offsets[l]), count: n * kvDim)
        }
        count = n
        intactFrom = Array(repeating: 0, count: layers)
        return true
    }

    package var byteCount: Int { 2 * slots.reduce(0, +) * kvDim * 4 }
}
