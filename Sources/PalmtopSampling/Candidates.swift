import Foundation

/// The candidate tokens a sampler stage sees: ids with their (possibly modified) logits. Stages may
/// drop candidates; the survivors' softmax is the post-chain distribution.
public struct Candidates: Sendable, Equatable {
    public var ids: [Int]
    public var logits: [Float]
    /// True once the list is sorted by logit, best first (top-k sorts; later stages rely on it).
    public var sorted: Bool
    /// True while `ids[i] == i` for the whole vocabulary, so stages can index logits by token id.
    public private(set) var identity: Bool

    public init(ids: [Int], logits: [Float], sorted: Bool = false) {
        self.ids = ids
        self.logits = logits
        self.sorted = sorted
        identity = false
    }

    /// Every token of a vocabulary, in id order.
    public init(allLogits: UnsafeBufferPointer<Float>) {
        ids = Array(0..<allLogits.count)
        logits = Array(allLogits)
        sorted = false
        identity = true
    }

    public var count: Int { ids.count }

    public mutating func sortDescending() {
        guard !sorted else { return }
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && ids[$0] < ids[$1]) }
        ids = order.map { ids[$0] }
        logits = order.map { logits[$0] }
        sorted = true
        identity = false
    }

    /// Keeps the first `n` (after sorting).
    public mutating func truncate(to n: Int) {
        guard n < ids.count else { return }
        identity = false
        ids.removeSubrange(n...)
        logits.removeSubrange(n...)
    }

    /// Softmax of the current logits, in list order (numerically stable).
    public func probabilities() -> [Float] {
        guard let m = logits.max(), m > -.infinity else { return logits.map { _ in 0 } }
        var e = logits.map { Foundation.exp(Double($0 - m)) }
        let s = e.reduce(0, +)
        for i in e.indices { e[i] /= s }
        return e.map { Float($0) }
    }
}
