/// A candidate merge of two adjacent symbols: `priority` is compared first (larger wins), then the
/// leftmost position, which is the tie-break both reference tokenizers use.
struct MergeCandidate {
    var priority: Float
    var left: Int32
    var right: Int32
    var size: Int32

    @inline(__always)
    func before(_ o: MergeCandidate) -> Bool { priority > o.priority || (priority == o.priority && left < o.left) }
}

/// A plain binary heap; the standard library has none.
struct MergeQueue {
    private var heap: [MergeCandidate] = []

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ c: MergeCandidate) {
        heap.append(c)
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard heap[i].before(heap[p]) else { break }
            heap.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> MergeCandidate {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && heap[l].before(heap[m]) { m = l }
                if r < heap.count && heap[r].before(heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

/// Symbols of one word as a doubly linked list over byte ranges of the word, merged in place.
struct SymbolList {
    var start: [Int32], length: [Int32], prev: [Int32], next: [Int32]

    /// One symbol per UTF-8 character of `bytes`.
    init(characters bytes: ArraySlice<UInt8>) {
        start = []; length = []; prev = []; next = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let lead = bytes[i]
            var n = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
            n = min(n, bytes.endIndex - i)
            start.append(Int32(i - bytes.startIndex))
            length.append(Int32(n))
            i += n
        }
        let count = start.count
        prev = (0..<count).map { Int32($0 - 1) }
        next = (0..<count).map { $0 + 1 < count ? Int32($0 + 1) : -1 }
    }

    var count: Int { start.count }

    /// Merges adjacent symbols best first until nothing merges. `priority(left, right)` gets the two
    /// symbols' byte ranges and returns the pair's merge priority, or nil when the pair cannot merge.
    mutating func mergeAll(priority: (Range<Int>, Range<Int>) -> Float?) {
        var queue = MergeQueue()
        func offer(_ l: Int32, _ r: Int32) {
            guard l >= 0, r >= 0 else { return }
            let ls = Int(start[Int(l)]), rs = Int(start[Int(r)])
            let left = ls..<ls + Int(length[Int(l)]), right = rs..<rs + Int(length[Int(r)])
            guard let p = priority(left, right) else { return }
            queue.push(MergeCandidate(priority: p, left: l, right: r, size: Int32(left.count + right.count)))
        }
        for i in 1..<max(count, 1) { offer(Int32(i - 1), Int32(i)) }
        while !queue.isEmpty {
            let c = queue.pop()
            guard merge(c) else { continue }
            offer(prev[Int(c.left)], c.left)
            offer(c.left, next[Int(c.left)])
        }
    }

    /// Merges `right` into `left`; returns false when the candidate is stale.
    mutating func merge(_ c: MergeCandidate) -> Bool {
        let l = Int(c.left), r = Int(c.right)
        guard length[l] > 0, length[r] > 0, length[l] + length[r] == c.size, next[l] == c.right else { return false }
        length[l] += length[r]
        length[r] = 0
        next[l] = next[r]
        if next[r] >= 0 { prev[Int(next[r])] = Int32(l) }
        return true
    }
}
