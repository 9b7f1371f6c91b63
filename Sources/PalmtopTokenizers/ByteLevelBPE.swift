/// GPT-2 style byte-level BPE (`tokenizer.ggml.model = gpt2`: SmolLM2): words from the pre-tokenizer,
/// bytes mapped to printable characters, merges applied lowest-rank-first.
struct ByteLevelBPE: Tokenizer {
    let tables: VocabularyTables
    /// Merge "left right" (bytes) → rank.
    let ranks: ByteIndex
    private let rankOffset: Int
    let preTokenizer: ByteLevelPreTokenizer
    let addsBOS: Bool
    /// Byte → the character GPT-2 uses for it, as UTF-8, and the reverse map for decoding.
    let byteToUnicode: [[UInt8]]
    let unicodeToByte: [Unicode.Scalar: UInt8]

    init(_ spec: VocabularySpec, preTokenizer: ByteLevelPreTokenizer) throws {
        tables = VocabularyTables(spec)
        // Reversed so that, for a duplicated merge, the first (best) rank is the one kept.
        let reversedRanks = ByteIndex(spec.merges.reversed())
        let count = spec.merges.count
        ranks = reversedRanks
        rankOffset = count - 1
        self.preTokenizer = preTokenizer
        addsBOS = spec.addBOS
        var map = [[UInt8]](repeating: [], count: 256)
        var reverse: [Unicode.Scalar: UInt8] = [:]
        var extra: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            let scalar = Unicode.Scalar(printable ? UInt32(b) : { defer { extra += 1 }; return extra }())!
            map[b] = Array(String(scalar).utf8)
            reverse[scalar] = UInt8(b)
        }
        byteToUnicode = map
        unicodeToByte = reverse
    }

    var vocabularySize: Int { tables.tokens.count }
    var bosID: Int? { tables.bosID }
    var eosID: Int? { tables.eosID }
    var endOfGenerationIDs: Set<Int> { tables.endOfGeneration }
    func tokenText(_ id: Int) -> String { tables.text(id) }
    func kind(of id: Int) -> TokenKind { tables.kind(id) }
    func id(of text: String) -> Int? { tables.index.lookup(text) }

    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int] {
        var out: [Int] = []
        if addBOS, let bos = tables.bosID { out.append(bos) }
        for fragment in tables.specials.split(Array(text.utf8), parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id): out.append(id)
            case .text(let raw):
                let scalars = Array(String(decoding: raw, as: UTF8.self).unicodeScalars)
                for word in preTokenizer.split(scalars) {
                    var mapped: [UInt8] = []
                    for scalar in scalars[word] {
                        for b in String(scalar).utf8 { mapped += byteToUnicode[Int(b)] }
                    }
                    encodeWord(mapped, into: &out)
                }
            }
        }
        return out
    }


    private func encodeWord(_ bytes: [UInt8], into out: inout [Int]) {
        var symbols = SymbolList(characters: bytes[...])
        var queue = MergeQueue()
        func tryAdd(_ l: Int32, _ r: Int32) {
            guard l >= 0, r >= 0 else { return }
            let ls = Int(symbols.start[Int(l)]), ln = Int(symbols.length[Int(l)])
            let rs = Int(symbols.start[Int(r)]), rn = Int(symbols.length[Int(r)])
            guard let reversed = ranks.lookup(Array(bytes[ls..<ls + ln]) + [0x20] + bytes[rs..<rs + rn]) else { return }
            queue.push(MergeCandidate(priority: -Float(rankOffset - reversed), left: l, right: r, size: Int32(ln + rn)))
        }
        for i in 1..<max(symbols.count, 1) { tryAdd(Int32(i - 1), Int32(i)) }
        while !queue.isEmpty {
            let c = queue.pop()
            guard symbols.merge(c) else { continue }
            tryAdd(symbols.prev[Int(c.left)], c.left)
            tryAdd(c.left, symbols.next[Int(c.left)])
        }
        var i: Int32 = symbols.count > 0 ? 0 : -1
        while i >= 0 {
            let s = Int(symbols.start[Int(i)]), n = Int(symbols.length[Int(i)])
            if let id = tables.index.lookup(bytes[s..<s + n]) {
                out.append(id)
            } else {
                for ch in String(decoding: bytes[s..<s + n], as: UTF8.self).unicodeScalars {
                    if let id = tables.index.lookup(String(ch)) { out.append(id) }
                }
            }
            i = symbols.next[Int(i)]
        }
    }

    func bytes(of id: Int, special: Bool) -> [UInt8] {
        switch tables.kind(id) {
        case .normal, .byte:
            return tables.text(id).unicodeScalars.compactMap { unicodeToByte[$0] }
        case .userDefined:
            return Array(tables.text(id).utf8)
        case .control, .unknown, .unused:
            return special ? Array(tables.text(id).utf8) : []
        }
    }
}
