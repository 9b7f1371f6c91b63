/// One entry of the transcript as styled text (a header line and the body).
public struct TranscriptBlock: Equatable, Sendable {
    public var chars: [StyledChar]
    public init(_ chars: [StyledChar]) { self.chars = chars }
}

/// The conversation, word-wrapped by display columns and re-wrapped whenever the width changes.
/// It follows new text at the bottom unless the user scrolled up (PgUp); then the view stays put
/// while tokens stream in below it.
public final class TranscriptPanel: Panel {
    public var blocks: [TranscriptBlock] = []
    /// A row pinned above the text (the probability legend).
    public var header: [StyledChar]?
    /// A token to keep on screen: (block index, tag). The inspector's cursor.
    public var focus: (block: Int, tag: Int)?
    /// Rows between the bottom of the view and the bottom of the text.
    public private(set) var scrollOffset = 0
    private var lastTotal = 0
    private var lastHeight = 10
    private var cache: [Int: (width: Int, block: TranscriptBlock, rows: [[StyledChar]])] = [:]

    public init() {}

    /// Every row at `width`, blocks separated by an empty row; also where each block starts.
    public func layout(width: Int) -> (rows: [[StyledChar]], starts: [Int]) {
        var rows: [[StyledChar]] = []
        var starts: [Int] = []
        for (i, block) in blocks.enumerated() {
            if i > 0 { rows.append([]) }
            starts.append(rows.count)
            if let c = cache[i], c.width == width, c.block == block {
                rows += c.rows
            } else {
                var wrapped = TextLayout.wrap(block.chars, width: width, words: true)
                if wrapped.count > 1, wrapped.last?.isEmpty == true { wrapped.removeLast() }
                cache[i] = (width, block, wrapped)
                rows += wrapped
            }
        }
        cache = cache.filter { $0.key < blocks.count }
        return (rows, starts)
    }

    public func draw(into canvas: Canvas, rect: Rect) {
        var area = rect
        if let header, area.height > 1 {
            canvas.fill(Rect(row: area.row, col: area.col, width: area.width, height: 1))
            TextLayout.draw(header, into: canvas, row: area.row, col: area.col, limit: area.width)
            area = Rect(row: area.row + 1, col: area.col, width: area.width, height: area.height - 1)
        }
        let (rows, starts) = layout(width: area.width)
        let height = area.height
        lastHeight = height
        // Keep a scrolled-up view still while text grows below it.
        if scrollOffset > 0 { scrollOffset += rows.count - lastTotal }
        lastTotal = rows.count
        if let focus, focus.block < starts.count {
            let end = focus.block + 1 < starts.count ? starts[focus.block + 1] : rows.count
            if let r = (starts[focus.block]..<end).first(where: { rows[$0].contains { $0.tag == focus.tag } }) {
                let top = max(rows.count - height - scrollOffset, 0)
                if r < top { scrollOffset = rows.count - height - r }
                if r >= top + height { scrollOffset = max(rows.count - r - 1, 0) }
            }
        }
        scrollOffset = min(max(scrollOffset, 0), max(rows.count - height, 0))
        let top = max(rows.count - height - scrollOffset, 0)
        for i in 0..<height where top + i < rows.count {
            TextLayout.draw(rows[top + i], into: canvas, row: area.row + i, col: area.col, limit: area.width)
        }
        if scrollOffset > 0 {
            let note = " ↓ \(scrollOffset) more lines (PgDn) "
            let w = DisplayWidth.of(note)
            canvas.put(note, row: area.row + height - 1, col: area.col + max(area.width - w, 0), role: .status, limit: area.width)
        }
    }

    public func handle(_ key: Key) -> Effect {
        switch key {
        case .pageUp: scroll(by: max(lastHeight - 1, 1))
        case .pageDown: scroll(by: -max(lastHeight - 1, 1))
        case .shiftUp: scroll(by: 1)
        case .shiftDown: scroll(by: -1)
        default: return []
        }
        return .consumed
    }

    /// Scrolls up (positive) or down; clamped when drawn.
    public func scroll(by rows: Int) { scrollOffset = max(scrollOffset + rows, 0) }

    /// Back to following the end of the text.
    public func scrollToBottom() { scrollOffset = 0 }
}
