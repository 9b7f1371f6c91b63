/// Collects token bytes and releases only complete UTF-8 characters, so streamed output never shows
/// half a character (a CJK character or an emoji is often split over two or more byte tokens).
public struct UTF8Accumulator: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Appends bytes and returns the longest prefix of the pending bytes that is complete UTF-8.
    public mutating func append(_ bytes: [UInt8]) -> String {
        pending += bytes
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Whatever is left (an incomplete sequence at the end of a generation), with replacement characters.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    public var hasPending: Bool { !pending.isEmpty }

    /// Length of the prefix that does not end inside a multi-byte sequence. Invalid bytes count as
    /// complete (they will be shown as U+FFFD rather than held back forever).
    static func completePrefixLength(_ b: [UInt8]) -> Int {
        var i = b.count - 1
        var back = 0
        while i >= 0 && back < 4 && b[i] & 0xC0 == 0x80 { i -= 1; back += 1 }
        guard i >= 0 else { return b.count }
        let lead = b[i]
        let need: Int
        if lead & 0x80 == 0 { need = 1 } else if lead & 0xE0 == 0xC0 { need = 2 } else if lead & 0xF0 == 0xE0 { need = 3 } else if lead & 0xF8 == 0xF0 { need = 4 } else { need = 1 }
        return b.count - i >= need ? b.count : i
    }
}
