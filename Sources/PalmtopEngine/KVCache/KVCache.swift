/// Keys and values of every layer for positions 0..<count, f32 (measured: the cache is < 2% of the
/// bytes read per token for these models, so bf16 would save little and cost precision).
/// `truncate(to:)` drops positions from p on — what prefix reuse needs when a prompt is edited.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let capacity: Int
    public let kvDim: Int
    public private(set) var count = 0
    private let keys: UnsafeMutablePointer<Float>    // [layers][capacity][kvDim]
    private let values: UnsafeMutablePointer<Float>  // [layers][capacity][kvDim]

    public init(layers: Int, capacity: Int, kvDim: Int) {
        self.layers = layers
        self.capacity = capacity
        self.kvDim = kvDim
        keys = .allocate(capacity: layers * capacity * kvDim)
        values = .allocate(capacity: layers * capacity * kvDim)
    }

    deinit { keys.deallocate(); values.deallocate() }

    public func key(layer: Int, position: Int) -> UnsafeMutablePointer<Float> { keys + (layer * capacity + position) * kvDim }
    public func value(layer: Int, position: Int) -> UnsafeMutablePointer<Float> { values + (layer * capacity + position) * kvDim }

    /// Forgets positions from `position` on.
    public func truncate(to position: Int) { count = min(count, max(0, position)) }

    func advance(to n: Int) { count = n }

    /// An independent copy of the first `count` positions (e.g. to branch a conversation).
    public func copy() -> KVCache {
        let c = KVCache(layers: layers, capacity: capacity, kvDim: kvDim)
        for l in 0..<layers {
            c.key(layer: l, position: 0).update(from: key(layer: l, position: 0), count: count * kvDim)
            c.value(layer: l, position: 0).update(from: value(layer: l, position: 0), count: count * kvDim)
        }
        c.count = count
        return c
    }

    public var byteCount: Int { 2 * layers * capacity * kvDim * 4 }
}
