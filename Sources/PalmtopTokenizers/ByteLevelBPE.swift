/// GPT-2 style byte-level BPE (`tokenizer.ggml.model = gpt2`: SmolLM2): words from the pre-tokenizer,
/// bytes mapped to printable characters, merges applied lowest-rank-first.
struct ByteLevelBPE: VocabularyBacked {
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
        // A pair merges when "left right" is a merge rule; lower ranks merge first.
        symbols.mergeAll { left, right in
            ranks.lookup(Array(bytes[left]) + [0x20] + bytes[right]).map { -Float(rankOffset - $0) }
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
