/// One character with its role and a tag (a token index, or a position in an editor's buffer; -1 for none).
public struct StyledChar: Equatable, Sendable {
    public var char: Character
    public var role: Role
    public var tag: Int

    public init(_ char: Character, _ role: Role, tag: Int = -1) {
        self.char = char
        self.role = role
        self.tag = tag
    }

    var isNewline: Bool { char == "\n" || char == "\r\n" }
}

/// Lays styled text out in display columns: word wrapping for the transcript, hard wrapping for the
/// editor. Widths come from `DisplayWidth`, so wide characters never straddle the right edge.
public enum TextLayout {
    /// `text` as styled characters; tabs become spaces and control characters U+FFFD (newlines stay).
    public static func styled(_ text: String, _ role: Role, tag: Int = -1) -> [StyledChar] {
        var out: [StyledChar] = []
        out.reserveCapacity(text.count)
        for c in text {
            if c == "\n" || c == "\r\n" {
                out.append(StyledChar("\n", role, tag: tag))
            } else {
                for s in ScreenText.sanitize(String(c)) { out.append(StyledChar(s, role, tag: tag)) }
            }
        }
        return out
    }

    /// Rows of at most `width` columns. A newline ends its row and stays at the row's end (so an editor
    /// can find a cursor placed on it); `words` breaks at the last space when it can (the space is
    /// dropped) and otherwise mid-word.
    public static func wrap(_ chars: [StyledChar], width: Int, words: Bool) -> [[StyledChar]] {
        var lines: [[StyledChar]] = []
        var current: [StyledChar] = []
        var used = 0
        var lastSpace: Int?
        for ch in chars {
            if ch.isNewline {
                current.append(ch)
                lines.append(current)
                current = []; used = 0; lastSpace = nil
                continue
            }
            let w = DisplayWidth.of(ch.char)
            if w == 0 { continue }
            if used + w > width && !current.isEmpty {
                if words && ch.char == " " {
                    lines.append(current)
                    current = []; used = 0; lastSpace = nil
                    continue
                }
                if words, let space = lastSpace, space > 0 {
                    let rest = Array(current[(space + 1)...])
                    lines.append(Array(current[..<space]))
                    current = rest
                    used = rest.reduce(0) { $0 + DisplayWidth.of($1.char) }
                } else {
                    lines.append(current)
                    current = []; used = 0
                }
                lastSpace = nil
            }
            current.append(ch)
            used += w
            if ch.char == " " { lastSpace = current.count - 1 }
        }
        lines.append(current)
        return lines
    }

    /// Columns a row takes on screen.
    public static func width(_ line: [StyledChar]) -> Int {
        line.reduce(0) { $0 + ($1.isNewline ? 0 : DisplayWidth.of($1.char)) }
    }

    /// Draws a row, one `put` per run of equal roles; returns the columns used.
    @discardableResult
    public static func draw(_ line: [StyledChar], into canvas: Canvas, row: Int, col: Int, limit: Int) -> Int {
        var c = col
        var run = ""
        var role: Role?
        func flush() {
            if let r = role, !run.isEmpty { c += canvas.put(run, row: row, col: c, role: r, limit: col + limit - c) }
            run = ""
        }
        for ch in line where !ch.isNewline {
            if ch.role != role { flush(); role = ch.role }
            run.append(ch.char)
        }
        flush()
        return c - col
    }
}
