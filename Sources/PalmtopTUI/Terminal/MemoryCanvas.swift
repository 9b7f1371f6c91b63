import Foundation

/// A canvas in memory: a grid of cells that tests read back as text and roles.
public final class MemoryCanvas: Canvas {
    /// One screen cell: the grapheme cluster drawn there ("" for the right half of a wide character).
    public struct Cell: Equatable {
        public var text: String
        public var role: Role
    }

    public private(set) var rows: Int
    public private(set) var cols: Int
    public private(set) var cells: [[Cell]]
    public private(set) var cursor: (row: Int, col: Int)?

    public init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        cells = Array(repeating: Array(repeating: Cell(text: " ", role: .text), count: cols), count: rows)
    }

    /// Changes the size, as a terminal resize would (the contents are blanked).
    public func resize(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        clear()
    }

    public func clear() {
        cells = Array(repeating: Array(repeating: Cell(text: " ", role: .text), count: cols), count: rows)
        cursor = nil
    }

    @discardableResult
    public func put(_ text: String, row: Int, col: Int, role: Role, limit: Int) -> Int {
        guard row >= 0, row < rows, col >= 0 else { return 0 }
        let placed = ScreenText.layout(text, col: col, limit: limit, width: cols)
        for (ch, c, w) in placed {
            cells[row][c] = Cell(text: String(ch), role: role)
            if w == 2 { cells[row][c + 1] = Cell(text: "", role: role) }
        }
        return placed.last.map { $0.col + $0.width - col } ?? 0
    }

    public func placeCursor(row: Int, col: Int) { cursor = (row, col) }
    public func hideCursor() { cursor = nil }

    /// A row as text (wide characters once, trailing blanks kept).
    public func line(_ row: Int) -> String { cells[row].map(\.text).joined() }

    /// All rows, joined by newlines, with trailing blanks trimmed (for readable failure messages).
    public var text: String {
        (0..<rows).map { line($0).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n")
    }

    /// The role at a cell.
    public func role(_ row: Int, _ col: Int) -> Role { cells[row][col].role }

    /// The first (row, col) where `needle` appears, in display columns.
    public func find(_ needle: String) -> (row: Int, col: Int)? {
        for r in 0..<rows {
            let l = line(r)
            if let range = l.range(of: needle) { return (r, DisplayWidth.of(String(l[..<range.lowerBound]))) }
        }
        return nil
    }
}
