/// Keys and values of every layer for positions 0..<count, f32 (measured: the cache is < 2% of the
/// bytes read per token for these models, so bf16 would save little and cost precision).
/// Keys are stored transposed — one row per key dimension, one column per position — so attention
/// scores 16 positions per vector instruction; values are stored one row per position.
/// `truncate(to:)` drops positions from p on — what prefix reuse needs when a prompt is edited.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let capacity: Int
    public let kvDim: Int
    public private(set) var count = 0
    private let keys: UnsafeMutablePointer<Float>    // [layers][kvDim][capacity]
    private let values: UnsafeMutablePointer<Float>  // [layers][capacity][kvDim]

    public init(layers: Int, capacity: Int, kvDim: Int) {
        self.layers = layers
        self.capacity = capacity
        self.kvDim = kvDim
        keys = .allocate(capacity: layers * capacity * kvDim)
        values = .allocate(capacity: layers * capacity * kvDim)
    }

    deinit { keys.deallocate(); values.deallocate() }

    /// Row `dimension` of a layer's transposed keys: element j is that dimension of position j.
    public func keyRow(layer: Int, dimension: Int) -> UnsafeMutablePointer<Float> { keys + (layer * kvDim + dimension) * capacity }
    public func value(layer: Int, position: Int) -> UnsafeMutablePointer<Float> { values + (layer * capacity + position) * kvDim }

    /// Writes one position's key and value (each `kvDim` floats).
    func store(layer: Int, position: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        let column = keys + layer * kvDim * capacity + position
        for d in 0..<kvDim { column[d * capacity] = key[d] }
        self.value(layer: layer, position: position).update(from: value, count: kvDim)
    }

    /// Forgets positions from `position` on.
    public func truncate(to position: Int) { count = min(count, max(0, position)) }

    func advance(to n: Int) { count = n }

    /// An independent copy of the first `count` positions (e.g. to branch a conversation).
    public func copy() -> KVCache {
        let c = KVCache(layers: layers, capacity: capacity, kvDim: kvDim)
        for l in 0..<layers {
            for d in 0..<kvDim { c.keyRow(layer: l, dimension: d).update(from: keyRow(layer: l, dimension: d), count: count) }
            c.value(layer: l, position: 0).update(from: value(layer: l, position: 0), count: count * kvDim)
        }
        c.count = count
        return c
    }

    public var byteCount: Int { 2 * layers * capacity * kvDim * 4 }
}
