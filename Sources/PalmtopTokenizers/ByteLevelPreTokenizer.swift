/// Splits text into words before byte-level BPE, following the GPT-2 pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
/// optionally after isolating every digit (`smollm`). Hand-written because the lookahead is the part
/// regex engines disagree on, and the reference treats it exactly this way.
struct ByteLevelPreTokenizer: Sendable {
    let isolateDigits: Bool

    init?(name: String) {
        switch name {
        case "default", "gpt2": isolateDigits = false
        case "smollm": isolateDigits = true
        default: return nil
        }
    }

    private enum Class { case letter, number, space, other }

    private static func classify(_ s: Unicode.Scalar) -> Class {
        let p = s.properties
        if p.isWhitespace { return .space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// Returns the words as scalar ranges of `scalars`.
    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let classes = scalars.map(Self.classify)
        var pieces: [Range<Int>] = []
        if isolateDigits {
            var start = 0
            for i in scalars.indices where classes[i] == .number {
                if start < i { pieces.append(start..<i) }
                pieces.append(i..<i + 1)
                start = i + 1
            }
            if start < scalars.count { pieces.append(start..<scalars.count) }
        } else {
            pieces = [0..<scalars.count]
        }
        var words: [Range<Int>] = []
        for piece in pieces { splitGPT2(scalars, classes, piece, into: &words) }
        return words
    }

    private func splitGPT2(_ s: [Unicode.Scalar], _ c: [Class], _ range: Range<Int>, into words: inout [Range<Int>]) {
        let end = range.upperBound
        func cls(_ i: Int) -> Class? { i < end ? c[i] : nil }
        var pos = range.lowerBound
        while pos < end {
            let start = pos
            if s[pos] == "'" && pos + 1 < end {
                let n1 = s[pos + 1]
                if n1 == "s" || n1 == "t" || n1 == "m" || n1 == "d" { pos += 2; words.append(start..<pos); continue }
                if pos + 2 < end {
                    let n2 = s[pos + 2]
                    if (n1 == "r" && n2 == "e") || (n1 == "v" && n2 == "e") || (n1 == "l" && n2 == "l") {
                        pos += 3; words.append(start..<pos); continue
                    }
                }
            }
            let lead = s[pos] == " " ? cls(pos + 1) : c[pos]
            if let lead, lead != .space {
                if s[pos] == " " { pos += 1 }
                while cls(pos) == lead { pos += 1 }
                words.append(start..<pos)
                continue
            }
            var spaces = 0
            while cls(pos + spaces) == .space { spaces += 1 }
            if spaces > 1 && pos + spaces < end {
                // `\s+(?!\S)`: leave the last space to prefix the next word.
                pos += spaces - 1
            } else if spaces > 0 {
                pos += spaces
            } else {
                pos += 1
            }
            words.append(start..<pos)
        }
    }
}
