/// The input editor: multi-line text with Emacs keys and a history. Enter asks to send (`.submit`);
/// Alt-Enter or Ctrl-J insert a newline; ↑/↓ move between lines and past the first or last line walk
/// the history. Keys it does not use (F-keys, PgUp, `?` or Ctrl-D on an empty line) fall through.
public final class InputPanel: Panel {
    public private(set) var buffer = TextBuffer()
    public var placeholder = "Type a message — Enter sends, Alt-Enter new line, /help for commands"
    /// The editor's tallest size; longer text scrolls inside it.
    public var maxHeight = 6
    private var history: [String] = []
    private var historyIndex: Int?
    private var draft = ""
    private static let prompt = "› "

    public init() {}

    public var isEmpty: Bool { buffer.isEmpty }
    public var text: String { buffer.text }

    /// Replaces the text (Tab completion), cursor at the end.
    public func replace(with text: String) { buffer = TextBuffer(text) }

    /// Hands over the text to send, clears the editor and remembers the text in the history.
    public func take() -> String {
        let t = buffer.text
        if !t.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && history.last != t { history.append(t) }
        buffer = TextBuffer()
        historyIndex = nil
        return t
    }

    public func handle(_ key: Key) -> Effect {
        switch key {
        case .char(let c):
            if c == "?" && buffer.isEmpty { return [] }
            buffer.insert(String(c))
        case .enter: return [.handled, .redraw, .submit]
        case .altEnter, .ctrl("j"): buffer.insert("\n")
        case .ctrl("d"):
            if buffer.isEmpty { return [] }
            buffer.deleteForward()
        case .up, .ctrl("p"): if !buffer.moveLine(-1) { recall(-1) }
        case .down, .ctrl("n"): if !buffer.moveLine(1) { recall(1) }
        default: if !buffer.applyEditingKey(key) { return [] }
        }
        return .consumed
    }

    /// Steps through the history; the text being typed is kept as the newest entry.
    private func recall(_ direction: Int) {
        guard !history.isEmpty else { return }
        if historyIndex == nil {
            guard direction < 0 else { return }
            draft = buffer.text
            historyIndex = history.count - 1
        } else if let i = historyIndex {
            let next = i + direction
            if next >= history.count {
                historyIndex = nil
                buffer = TextBuffer(draft)
                return
            }
            historyIndex = max(next, 0)
        }
        buffer = TextBuffer(history[historyIndex!])
    }

    /// Rows the text takes at `width` (at least 1, at most `maxHeight`).
    public func preferredHeight(width: Int) -> Int {
        min(max(layout(width: width).rows.count, 1), maxHeight)
    }

    /// Rows of the text (tagged with buffer positions) and the cursor's row and column.
    private func layout(width: Int) -> (rows: [[StyledChar]], cursor: (row: Int, col: Int)) {
        let textWidth = max(width - DisplayWidth.of(Self.prompt), 1)
        let chars = buffer.chars.enumerated().map { StyledChar($0.element, .text, tag: $0.offset) }
        let rows = TextLayout.wrap(chars, width: textWidth, words: false)
        for (r, row) in rows.enumerated() {
            if let i = row.firstIndex(where: { $0.tag == buffer.cursor }) {
                return (rows, (r, TextLayout.width(Array(row[..<i]))))
            }
        }
        let last = rows.count - 1
        let col = TextLayout.width(rows[last])
        if col >= textWidth { return (rows + [[]], (last + 1, 0)) }
        return (rows, (last, col))
    }

    public func draw(into canvas: Canvas, rect: Rect) {
        guard !rect.isEmpty else { return }
        let indent = DisplayWidth.of(Self.prompt)
        canvas.put(Self.prompt, row: rect.row, col: rect.col, role: .accent, limit: rect.width)
        if buffer.isEmpty {
            canvas.put(placeholder, row: rect.row, col: rect.col + indent, role: .dim, limit: rect.width - indent)
            canvas.placeCursor(row: rect.row, col: rect.col + indent)
            return
        }
        let (rows, cursor) = layout(width: rect.width)
        let top = max(cursor.row - rect.height + 1, 0)
        for i in 0..<rect.height where top + i < rows.count {
            TextLayout.draw(rows[top + i], into: canvas, row: rect.row + i, col: rect.col + indent, limit: rect.width - indent)
        }
        canvas.placeCursor(row: rect.row + cursor.row - top, col: rect.col + indent + cursor.col)
    }
}
