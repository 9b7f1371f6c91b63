/// How many terminal columns text occupies. Text is measured per grapheme cluster (Swift `Character`),
/// never per byte or scalar: a CJK ideograph or an emoji takes two columns, a combining accent none, and
/// an emoji sequence (skin tone, ZWJ family, flag) is one two-column glyph however many scalars it has.
public enum DisplayWidth {
    /// Columns of one grapheme cluster: 0, 1 or 2.
    public static func of(_ c: Character) -> Int {
        if let ascii = c.asciiValue { return ascii >= 0x20 && ascii < 0x7F ? 1 : 0 }
        let scalars = c.unicodeScalars
        guard let base = scalars.first else { return 0 }
        var width = scalarWidth(base)
        var regionalIndicators = 0
        for s in scalars {
            // VS16 asks for emoji presentation of a text-default base (❤️); a modifier or ZWJ-joined
            // emoji, and a pair of regional indicators (a flag), draw as one wide glyph.
            if s.value == 0xFE0F && base.properties.isEmoji { width = 2 }
            if s.properties.isEmojiPresentation { width = 2 }
            if (0x1F1E6...0x1F1FF).contains(s.value) { regionalIndicators += 1 }
        }
        if regionalIndicators >= 2 { width = 2 }
        return width
    }

    /// Columns of a string (the sum over its grapheme clusters).
    public static func of(_ s: String) -> Int {
        var total = 0
        for c in s { total += of(c) }
        return total
    }

    /// The longest prefix of `s` that fits in `columns`.
    public static func prefix(_ s: String, fitting columns: Int) -> String {
        var used = 0
        var end = s.startIndex
        for i in s.indices {
            let w = of(s[i])
            if used + w > columns { break }
            used += w
            end = s.index(after: i)
        }
        return String(s[..<end])
    }

    /// `s` cut to `columns`, with an ellipsis when something was cut.
    public static func truncate(_ s: String, to columns: Int) -> String {
        guard columns > 0 else { return "" }
        if of(s) <= columns { return s }
        return prefix(s, fitting: columns - 1) + "…"
    }

    /// Width of one scalar by itself, after East Asian Width (W and F are two columns).
    static func scalarWidth(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        if v == 0xAD { return 1 }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if (0x1160...0x11FF).contains(v) { return 0 }  // Hangul medial vowels and final consonants join the syllable
        if s.properties.isEmojiPresentation { return 2 }
        return wideRanges.contains { $0.contains(v) } ? 2 : 1
    }

    /// East Asian Wide and Fullwidth blocks (emoji are found through their presentation property).
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
        0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
        0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18AFF, 0x1B000...0x1B2FF,
        0x1F200...0x1F2FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
