/// A byte trie over the control, user-defined and unknown tokens. Splitting the input on them with one
/// left-to-right scan keeps encoding linear (a giant alternation regex made it quadratic elsewhere).
struct SpecialTokenTrie: Sendable {
    private struct Node: Sendable {
        var children: [UInt8: Int32] = [:]
        var token: Int32 = -1
        var alwaysMatched = false
    }
    private var nodes = [Node()]

    init(tokens: [String], kinds: [TokenKind]) {
        for (id, text) in tokens.enumerated() where !text.isEmpty {
            let kind = kinds[id]
            guard kind == .control || kind == .userDefined || kind == .unknown else { continue }
            var n = 0
            for b in text.utf8 {
                if let c = nodes[n].children[b] { n = Int(c); continue }
                nodes.append(Node())
                nodes[n].children[b] = Int32(nodes.count - 1)
                n = nodes.count - 1
            }
            nodes[n].token = Int32(id)
            // User-defined tokens are split out even when special parsing is off (as the reference does).
            nodes[n].alwaysMatched = kind == .userDefined
        }
    }

    /// A piece of the input: raw text to run through BPE, or a special token matched verbatim.
    enum Fragment { case text(ArraySlice<UInt8>), token(Int) }

    func split(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var out: [Fragment] = []
        var textStart = 0
        var i = 0
        while i < bytes.count {
            var n = 0, j = i
            var best: (token: Int, end: Int)? = nil
            while j < bytes.count, let c = nodes[n].children[bytes[j]] {
                n = Int(c)
                j += 1
                let node = nodes[n]
                if node.token >= 0 && (parseSpecial || node.alwaysMatched) { best = (Int(node.token), j) }
            }
            if let best {
                if textStart < i { out.append(.text(bytes[textStart..<i])) }
                out.append(.token(best.token))
                i = best.end
                textStart = i
            } else {
                i += 1
            }
        }
        if textStart < bytes.count { out.append(.text(bytes[textStart..<bytes.count])) }
        return out
    }
}
