/// SentencePiece-style BPE (`tokenizer.ggml.model = llama`: Gemma, PaLM): spaces become "▁", adjacent
/// symbols merge best-score-first while the merged text is a vocabulary entry, and characters the
/// vocabulary lacks fall back to their UTF-8 bytes as `<0xNN>` tokens.
struct SentencePieceBPE: VocabularyBacked {
    let tables: VocabularyTables
    let scores: [Float]
    let byteTokens: [Int]
    let addsBOS: Bool
    let addSpacePrefix: Bool

    init(_ spec: VocabularySpec) throws {
        tables = VocabularyTables(spec)
        scores = spec.scores.count == spec.tokens.count ? spec.scores : Array(repeating: 0, count: spec.tokens.count)
        var bytes = [Int](repeating: -1, count: 256)
        for b in 0..<256 {
            let hex = "<0x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2) + ">"
            if let id = tables.index.lookup(hex) { bytes[b] = id } else if let id = tables.index.lookup([UInt8(b)]) { bytes[b] = id }
        }
        byteTokens = bytes
        addsBOS = spec.addBOS
        addSpacePrefix = spec.addSpacePrefix
    }

    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int] {
        var out: [Int] = []
        if addBOS, let bos = tables.bosID { out.append(bos) }
        var previousWasSpecial = true
        for fragment in tables.specials.split(Array(text.utf8), parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(id)
                previousWasSpecial = true
            case .text(let raw):
                var bytes: [UInt8] = addSpacePrefix && previousWasSpecial ? [0x20] : []
                bytes += raw
                encodeFragment(escapeSpaces(bytes), into: &out)
                previousWasSpecial = false
            }
        }
        return out
    }

    private func escapeSpaces(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 4)
        for b in bytes {
            if b == 0x20 { out += [0xE2, 0x96, 0x81] } else { out.append(b) }
        }
        return out
    }

    private func lookup(_ bytes: ArraySlice<UInt8>) -> Int? {
        tables.index.lookup(bytes)
    }

    private func encodeFragment(_ bytes: [UInt8], into out: inout [Int]) {
        guard !bytes.isEmpty else { return }
        var symbols = SymbolList(characters: bytes[...])
        // A pair merges when its concatenation is a token; higher-scored tokens merge first.
        symbols.mergeAll { left, right in lookup(bytes[left.lowerBound..<right.upperBound]).map { scores[$0] } }
        var i: Int32 = 0
        while i >= 0 {
            let s = Int(symbols.start[Int(i)]), n = Int(symbols.length[Int(i)])
            if let id = lookup(bytes[s..<s + n]) {
                out.append(id)
            } else {
                for b in bytes[s..<s + n] where byteTokens[Int(b)] >= 0 { out.append(byteTokens[Int(b)]) }
            }
            i = symbols.next[Int(i)]
        }
    }

    func bytes(of id: Int, special: Bool) -> [UInt8] {
        switch tables.kind(id) {
        case .normal:
            return Array(tables.text(id).replacingOccurrences(of: "\u{2581}", with: " ").utf8)
        case .byte:
            let t = tables.text(id)
            if t.count == 6, let b = UInt8(t.dropFirst(3).prefix(2), radix: 16) { return [b] }
            return Array(t.utf8)
        case .userDefined:
            return Array(tables.text(id).utf8)
        case .control, .unknown, .unused:
            return special ? Array(tables.text(id).utf8) : []
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
