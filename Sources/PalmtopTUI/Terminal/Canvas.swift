/// A rectangle of screen cells, in rows and columns from the top-left corner.
public struct Rect: Equatable, Sendable {
    public var row: Int
    public var col: Int
    public var width: Int
    public var height: Int

    public init(row: Int, col: Int, width: Int, height: Int) {
        self.row = row
        self.col = col
        self.width = max(width, 0)
        self.height = max(height, 0)
    }

    public var bottom: Int { row + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// The rectangle shrunk by `n` cells on every side (a box's inside).
    public func inset(_ n: Int) -> Rect { Rect(row: row + n, col: col + n, width: width - 2 * n, height: height - 2 * n) }

    /// A `width` × `height` rectangle centred in this one (clamped to it).
    public func centered(width w: Int, height h: Int) -> Rect {
        let cw = min(w, width), ch = min(h, height)
        return Rect(row: row + (height - ch) / 2, col: col + (width - cw) / 2, width: cw, height: ch)
    }
}

/// Somewhere panels draw: the terminal (`CursesCanvas`) or memory (`MemoryCanvas`, for tests).
/// Positions and widths are display columns; text that does not fit is clipped, never wrapped.
public protocol Canvas: AnyObject {
    var rows: Int { get }
    var cols: Int { get }
    /// Blanks the whole canvas.
    func clear()
    /// Writes `text` from (`row`, `col`) using at most `limit` columns (and never past the right edge);
    /// returns the columns used. A wide character that would straddle the limit is left out.
    @discardableResult
    func put(_ text: String, row: Int, col: Int, role: Role, limit: Int) -> Int
    /// Where the text cursor should blink after drawing.
    func placeCursor(row: Int, col: Int)
    /// No visible cursor (the default after `clear`).
    func hideCursor()
}

extension Canvas {
    @discardableResult
    public func put(_ text: String, row: Int, col: Int, role: Role = .text) -> Int {
        put(text, row: row, col: col, role: role, limit: cols - col)
    }

    /// Paints a rectangle with blanks in a role (a bar's or a box's background).
    public func fill(_ rect: Rect, role: Role = .text) {
        let blank = String(repeating: " ", count: max(rect.width, 0))
        for r in rect.row..<max(rect.bottom, rect.row) { put(blank, row: r, col: rect.col, role: role, limit: rect.width) }
    }

    /// A blank box with a border and a title on the top edge; returns the inside.
    @discardableResult
    public func box(_ rect: Rect, title: String) -> Rect {
        guard rect.width >= 4, rect.height >= 3 else { return Rect(row: rect.row, col: rect.col, width: 0, height: 0) }
        fill(rect)
        let inner = rect.width - 2
        put("┌" + String(repeating: "─", count: inner) + "┐", row: rect.row, col: rect.col, role: .border, limit: rect.width)
        for r in (rect.row + 1)..<(rect.bottom - 1) {
            put("│", row: r, col: rect.col, role: .border, limit: 1)
            put("│", row: r, col: rect.col + rect.width - 1, role: .border, limit: 1)
        }
        put("└" + String(repeating: "─", count: inner) + "┘", row: rect.bottom - 1, col: rect.col, role: .border, limit: rect.width)
        if !title.isEmpty { put(" \(title) ", row: rect.row, col: rect.col + 2, role: .title, limit: inner - 2) }
        return rect.inset(1)
    }
}

/// Text as it goes on screen: what `Canvas.put` may receive. Tabs become spaces and other control
/// characters the replacement character, so nothing a model prints can move the terminal's cursor.
public enum ScreenText {
    /// Lays `text` out from column `col` within `limit` columns of a `width`-column row: each visible
    /// cluster with its column and display width (zero-width clusters are skipped; a cluster that
    /// would not fit ends the run). Both canvases place text with this, so tests see what curses shows.
    public static func layout(_ text: String, col: Int, limit: Int, width: Int) -> [(cluster: Character, col: Int, width: Int)] {
        let end = min(col + max(limit, 0), width)
        var out: [(Character, Int, Int)] = []
        var c = col
        for ch in sanitize(text) {
            let w = DisplayWidth.of(ch)
            if w == 0 { continue }
            if c + w > end { break }
            out.append((ch, c, w))
            c += w
        }
        return out
    }


    public static func sanitize(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) }) else { return s }
        var out = ""
        for c in s {
            if c == "\t" { out += "    " } else if c.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) }) {
                out += "\u{FFFD}"
            } else { out.append(c) }
        }
        return out
    }
}
