import Foundation

/// One stage of a sampler chain. `apply` reshapes the candidates; `accept` tells the stage which token
/// was chosen (penalties remember history); `reset` forgets that history.
public protocol Sampler: Sendable {
    mutating func apply(_ c: inout Candidates)
    mutating func accept(_ token: Int)
    mutating func reset()
}

extension Sampler {
    public mutating func accept(_ token: Int) {}
    public mutating func reset() {}
}

/// Keeps the `k` most likely tokens; k ≤ 0 keeps all.
public struct TopK: Sampler {
    public var k: Int
    public init(_ k: Int) { self.k = k }
    public mutating func apply(_ c: inout Candidates) {
        guard k > 0, k < c.count else { return }
        if !c.sorted {
            // Selection by a bounded heap: O(n log k), instead of sorting a 262k vocabulary per token.
            var heap = BoundedMinHeap(capacity: k)
            for i in 0..<c.count { heap.offer(logit: c.logits[i], id: c.ids[i]) }
            let best = heap.sortedDescending()
            c = Candidates(ids: best.map { $0.id }, logits: best.map { $0.logit }, sorted: true)
        } else {
            c.truncate(to: k)
        }
    }
}

/// Keeps the smallest set of most likely tokens whose probability reaches `p` (nucleus sampling).
public struct TopP: Sampler {
    public var p: Float
    public init(_ p: Float) { self.p = p }
    public mutating func apply(_ c: inout Candidates) {
        guard p < 1, c.count > 1 else { return }
        c.sortDescending()
        let probs = c.probabilities()
        var cumulative: Float = 0
        for (i, q) in probs.enumerated() {
            cumulative += q
            if cumulative >= p { c.truncate(to: i + 1); return }
        }
    }
}

/// Drops tokens whose probability is below `p` times the best token's probability.
public struct MinP: Sampler {
    public var p: Float
    public init(_ p: Float) { self.p = p }
    public mutating func apply(_ c: inout Candidates) {
        guard p > 0, c.count > 1, let best = c.logits.max() else { return }
        let threshold = best + Foundation.log(p)
        var keep: [Int] = []
        for i in 0..<c.count where c.logits[i] >= threshold { keep.append(i) }
        c = Candidates(ids: keep.map { c.ids[$0] }, logits: keep.map { c.logits[$0] }, sorted: c.sorted)
    }
}

/// Divides logits by the temperature; temperature ≤ 0 keeps only the best token (greedy).
public struct Temperature: Sampler {
    public var t: Float
    public init(_ t: Float) { self.t = t }
    public mutating func apply(_ c: inout Candidates) {
        guard c.count > 0 else { return }
        if t <= 0 {
            var best = 0
            for i in 1..<c.count where c.logits[i] > c.logits[best] || (c.logits[i] == c.logits[best] && c.ids[i] < c.ids[best]) { best = i }
            c = Candidates(ids: [c.ids[best]], logits: [c.logits[best]], sorted: true)
            return
        }
        guard t != 1 else { return }
        for i in 0..<c.count { c.logits[i] /= t }
    }
}

/// Repetition, presence and frequency penalties over the last `lastN` accepted tokens.
/// Repetition follows the CTRL rule (divide positive logits, multiply negative ones); presence
/// subtracts a constant once, frequency once per occurrence.
public struct Penalties: Sampler {
    public var repetition: Float
    public var presence: Float
    public var frequency: Float
    public var lastN: Int
    private var history: [Int] = []

    public init(repetition: Float, presence: Float, frequency: Float, lastN: Int) {
        self.repetition = repetition
        self.presence = presence
        self.frequency = frequency
        self.lastN = lastN
    }

    public var isNeutral: Bool { repetition == 1 && presence == 0 && frequency == 0 }

    public mutating func apply(_ c: inout Candidates) {
        guard !isNeutral, !history.isEmpty else { return }
        var counts: [Int: Int] = [:]
        for t in history.suffix(lastN < 0 ? history.count : lastN) { counts[t, default: 0] += 1 }
        func penalize(_ l: Float, _ n: Int) -> Float {
            (l > 0 ? l / repetition : l * repetition) - (Float(n) * frequency + presence)
        }
        if c.identity {
            // Index by id: a dictionary probe per candidate would cost milliseconds on a 262k vocabulary.
            for (id, n) in counts where id < c.count { c.logits[id] = penalize(c.logits[id], n) }
        } else {
            for i in 0..<c.count { if let n = counts[c.ids[i]] { c.logits[i] = penalize(c.logits[i], n) } }
        }
    }

    public mutating func accept(_ token: Int) {
        history.append(token)
        // -1 means the whole context: nothing is dropped (the context bounds the history). Otherwise
        // trim to the last lastN now and then rather than on every token.
        guard lastN >= 0 else { return }
        if history.count > lastN * 2 + 64 { history.removeFirst(history.count - lastN) }
    }

    /// Seeds the history with prompt tokens, so the prompt counts as "already said".
    public mutating func prime(_ tokens: [Int]) { for t in tokens { accept(t) } }

    public mutating func reset() { history.removeAll() }
}

/// A fixed-capacity min-heap that keeps the largest logits seen.
struct BoundedMinHeap {
    let capacity: Int
    private(set) var items: [(logit: Float, id: Int)] = []

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(capacity)
    }

    private func less(_ a: (logit: Float, id: Int), _ b: (logit: Float, id: Int)) -> Bool {
        a.logit < b.logit || (a.logit == b.logit && a.id > b.id)
    }

    /// Most of a 262k vocabulary falls below the k-th best seen so far: reject those with one inlined
    /// comparison (a strictly smaller logit can never enter; ties go through the full order).
    @inline(__always)
    mutating func offer(logit: Float, id: Int) {
        if items.count == capacity && logit < items[0].logit { return }
        insert(logit: logit, id: id)
    }

    private mutating func insert(logit: Float, id: Int) {
        if items.count < capacity {
            items.append((logit, id))
            var i = items.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                guard less(items[i], items[p]) else { break }
                items.swapAt(i, p)
                i = p
            }
        } else if less(items[0], (logit, id)) {
            items[0] = (logit, id)
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && less(items[l], items[m]) { m = l }
                if r < items.count && less(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
    }

    func sortedDescending() -> [(logit: Float, id: Int)] { items.sorted { less($1, $0) } }
}

/// The `n` best (id, logit) pairs of a logit vector, best first.
public func topEntries(_ logits: UnsafeBufferPointer<Float>, _ n: Int) -> [(id: Int, logit: Float)] {
    var heap = BoundedMinHeap(capacity: max(1, n))
    for i in 0..<logits.count { heap.offer(logit: logits[i], id: i) }
    return heap.sortedDescending().map { ($0.id, $0.logit) }
}
