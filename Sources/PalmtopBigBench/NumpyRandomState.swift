/// numpy's legacy `np.random.RandomState` (MT19937), reproducing exactly the draws BIG-bench's
/// `make_nshot_dataset` and `default_format_fn` make, so that `--shots K --limit N` picks the same
/// queries, shots and choice orders as BIG-bench with `random_seed=42`.
///
/// An integer seed goes through MT19937's `init_genrand` (numpy's `_legacy_seeding` calls
/// `mt19937_seed` for an int; `init_by_array` is only for array seeds such as `RandomState([42])`).
/// Bounded integers are drawn by masked rejection (`random_interval`), which legacy `shuffle`,
/// `permutation`, `randint` and `choice` all use; bounds above 2³² (which need 64-bit draws) are not needed.
public struct NumpyRandomState: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var position = 624

    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        position = 624
    }

    private mutating func regenerate() {
        let upper: UInt32 = 0x8000_0000, lower: UInt32 = 0x7FFF_FFFF, matrix: UInt32 = 0x9908_B0DF
        for i in 0..<624 {
            let y = (state[i] & upper) | (state[(i + 1) % 624] & lower)
            state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : matrix)
        }
        position = 0
    }

    /// The next tempered 32-bit output (`genrand_int32`).
    public mutating func nextUInt32() -> UInt32 {
        if position >= 624 { regenerate() }
        var y = state[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// A uniform integer in `0...max` by masked rejection (numpy's `random_interval`); 0 draws nothing.
    public mutating func interval(_ max: Int) -> Int {
        precondition(max >= 0 && max <= Int(UInt32.max), "bounds above 2^32 need numpy's 64-bit path")
        if max == 0 { return 0 }
        var mask = UInt32(max)
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16
        while true {
            let v = nextUInt32() & mask
            if v <= UInt32(max) { return Int(v) }
        }
    }

    /// `randint(0, n)`: a uniform integer in `0..<n` (legacy bounded draw, masked).
    public mutating func randint(_ n: Int) -> Int {
        precondition(n >= 1, "randint needs a non-empty range")
        return interval(n - 1)
    }

    /// `shuffle(x)` for a one-dimensional array: Fisher–Yates from the end.
    public mutating func shuffle<T>(_ x: inout [T]) {
        guard x.count > 1 else { return }
        for i in stride(from: x.count - 1, through: 1, by: -1) {
            x.swapAt(i, interval(i))
        }
    }

    /// `permutation(n)`: a shuffled `arange(n)`.
    public mutating func permutation(_ n: Int) -> [Int] {
        var a = Array(0..<n)
        shuffle(&a)
        return a
    }

    /// `choice(n, k, replace=False)` (and `choice(list, k, replace=False)` by index): numpy takes the
    /// first k of a full permutation, so every call draws as many numbers as the population has.
    public mutating func choiceWithoutReplacement(from n: Int, count k: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "cannot take a larger sample than population")
        return Array(permutation(n).prefix(k))
    }

    /// `choice(list)`: one index, drawn as `randint(0, len)`; a one-element list draws nothing.
    public mutating func choice(from n: Int) -> Int { randint(n) }
}
