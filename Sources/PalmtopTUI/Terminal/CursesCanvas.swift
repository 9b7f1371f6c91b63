import Foundation
import CNcursesw

/// The terminal as a canvas: each grapheme cluster goes to an explicit column, so a terminal and
/// curses that disagree about a character's width cannot shift the rest of the line.
public final class CursesCanvas: Canvas {
    private let attributes: [attr_t]
    private let pairs: [Int16]
    private var cursor: (row: Int, col: Int)?

    init(palette: Palette, colours: Bool) {
        var attributes: [attr_t] = []
        var pairs: [Int16] = []
        for role in Role.allCases {
            let style = palette.style(role)
            var a = pt_a_normal()
            if style.bold { a |= pt_a_bold() }
            if style.reverse { a |= pt_a_reverse() }
            if style.underline { a |= pt_a_underline() }
            if style.dim { a |= pt_a_dim() }
            attributes.append(a)
            var pair: Int16 = 0
            if colours && (style.foreground != .standard || style.background != .standard) {
                pair = Int16(role.rawValue + 1)
                init_pair(pair, style.foreground.rawValue, style.background.rawValue)
            }
            pairs.append(pair)
        }
        self.attributes = attributes
        self.pairs = pairs
    }

    public var rows: Int { Int(getmaxy(stdscr)) }
    public var cols: Int { Int(getmaxx(stdscr)) }

    public func clear() {
        werase(stdscr)
        cursor = nil
    }

    @discardableResult
    public func put(_ text: String, row: Int, col: Int, role: Role, limit: Int) -> Int {
        guard row >= 0, row < rows, col >= 0 else { return 0 }
        let placed = ScreenText.layout(text, col: col, limit: limit, width: cols)
        for (ch, c, w) in placed {
            let drawn = draw(ch, row: row, col: c, role: role)
            // Curses may count fewer columns than we do (❤️, flags): blank the rest so the cell is
            // still ours and keeps the role's background.
            for extra in min(drawn, w)..<w { draw(" ", row: row, col: c + extra, role: role) }
        }
        return placed.last.map { $0.col + $0.width - col } ?? 0
    }

    /// Draws one cluster as one curses cell; returns the columns curses thinks it took. A cell holds one
    /// spacing character plus combining ones, so an emoji sequence shows as its base emoji (curses drops
    /// skin-tone modifiers and ZWJ-joined parts itself) while taking the two columns we counted.
    @discardableResult
    private func draw(_ ch: Character, row: Int, col: Int, role: Role) -> Int {
        var scalars: [wchar_t] = []
        for s in ch.unicodeScalars {
            if scalars.isEmpty || (DisplayWidth.scalarWidth(s) == 0 && s.value != 0x200D && scalars.count < 5) {
                scalars.append(wchar_t(bitPattern: s.value))
            }
        }
        scalars.append(0)
        var cell = cchar_t()
        setcchar(&cell, scalars, attributes[role.rawValue], pairs[role.rawValue], nil)
        mvwadd_wch(stdscr, Int32(row), Int32(col), &cell)
        // Where curses left its cursor says how wide it thinks the character is.
        if Int(getcury(stdscr)) != row { return cols - col }
        return max(Int(getcurx(stdscr)) - col, 1)
    }

    public func placeCursor(row: Int, col: Int) { cursor = (row, col) }
    public func hideCursor() { cursor = nil }

    /// Sends the frame to the terminal (curses writes only what changed).
    public func present() {
        if let cursor {
            wmove(stdscr, Int32(cursor.row), Int32(cursor.col))
            curs_set(1)
        } else {
            curs_set(0)
        }
        wnoutrefresh(stdscr)
        doupdate()
    }
}
