/// Editable text with a cursor: the operations behind the input editor's Emacs keys, as a value type
/// so they are tested without a screen. The cursor is an index into `chars` (0...count).
public struct TextBuffer: Equatable, Sendable {
    public private(set) var chars: [Character] = []
    public private(set) var cursor = 0

    public init(_ text: String = "") {
        chars = Array(text)
        cursor = chars.count
    }

    public var text: String { String(chars) }
    public var isEmpty: Bool { chars.isEmpty }

    public mutating func insert(_ s: String) {
        let new = Array(s)
        chars.insert(contentsOf: new, at: cursor)
        cursor += new.count
    }

    public mutating func backspace() {
        guard cursor > 0 else { return }
        chars.remove(at: cursor - 1)
        cursor -= 1
    }

    public mutating func deleteForward() {
        guard cursor < chars.count else { return }
        chars.remove(at: cursor)
    }

    public mutating func left() { cursor = max(cursor - 1, 0) }
    public mutating func right() { cursor = min(cursor + 1, chars.count) }
    public mutating func toStart() { cursor = 0 }
    public mutating func toEnd() { cursor = chars.count }

    /// Start and end of the logical line holding the cursor.
    private var lineStart: Int {
        var i = cursor
        while i > 0 && chars[i - 1] != "\n" { i -= 1 }
        return i
    }

    private var lineEnd: Int {
        var i = cursor
        while i < chars.count && chars[i] != "\n" { i += 1 }
        return i
    }

    /// Ctrl-A and Ctrl-E.
    public mutating func toLineStart() { cursor = lineStart }
    public mutating func toLineEnd() { cursor = lineEnd }

    /// Ctrl-K: delete to the end of the line; at the end of a line, join the next one.
    public mutating func killToLineEnd() {
        let end = lineEnd
        if end == cursor { deleteForward() } else { chars.removeSubrange(cursor..<end) }
    }

    /// Ctrl-U: delete from the start of the line to the cursor.
    public mutating func killToLineStart() {
        let start = lineStart
        chars.removeSubrange(start..<cursor)
        cursor = start
    }

    /// Ctrl-W: delete the word before the cursor (and the spaces between it and the cursor).
    public mutating func deleteWordBackward() {
        var i = cursor
        while i > 0 && chars[i - 1].isWhitespace { i -= 1 }
        while i > 0 && !chars[i - 1].isWhitespace { i -= 1 }
        chars.removeSubrange(i..<cursor)
        cursor = i
    }

    /// Moves to the previous (-1) or next (+1) logical line, keeping the column where possible;
    /// false when there is no such line (the editor then walks the history instead).
    public mutating func moveLine(_ direction: Int) -> Bool {
        let start = lineStart, column = cursor - start
        if direction < 0 {
            guard start > 0 else { return false }
            var prevStart = start - 1
            while prevStart > 0 && chars[prevStart - 1] != "\n" { prevStart -= 1 }
            cursor = min(prevStart + column, start - 1)
        } else {
            let end = lineEnd
            guard end < chars.count else { return false }
            var nextEnd = end + 1
            while nextEnd < chars.count && chars[nextEnd] != "\n" { nextEnd += 1 }
            cursor = min(end + 1 + column, nextEnd)
        }
        return true
    }
}

extension TextBuffer {
    /// The editing keys every text field shares — typing, deletion, cursor movement, the Emacs kills —
    /// so the input line, the exemplar editor and the name dialogs behave alike. Returns false for a
    /// key it does not handle.
    public mutating func applyEditingKey(_ key: Key) -> Bool {
        switch key {
        case .char(let c): insert(String(c))
        case .backspace: backspace()
        case .delete: deleteForward()
        case .left, .ctrl("b"): left()
        case .right, .ctrl("f"): right()
        case .home: toStart()
        case .end: toEnd()
        case .ctrl("a"): toLineStart()
        case .ctrl("e"): toLineEnd()
        case .ctrl("k"): killToLineEnd()
        case .ctrl("u"): killToLineStart()
        case .ctrl("w"): deleteWordBackward()
        default: return false
        }
        return true
    }
}
