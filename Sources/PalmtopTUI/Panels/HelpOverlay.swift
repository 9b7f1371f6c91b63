/// F1: every key and command, generated from the key table and the command catalog. ↑/↓ and
/// PgUp/PgDn scroll; Esc, F1, q or ? close it.
public final class HelpOverlay: Panel {
    private var top = 0
    private var lastHeight = 10

    public init() {}

    /// The help text as (keys, explanation) rows; a row with empty keys is a section title.
    public static func lines() -> [(keys: String, text: String)] {
        var out: [(String, String)] = [("", "Keys")]
        for b in KeyTable.global { out.append((b.keys.map(\.label).joined(separator: " "), b.help)) }
        out.append(("", "Editing"))
        out += KeyTable.editing
        out.append(("", "Token inspector (F3)"))
        out += KeyTable.inspector
        out.append(("", "Sampling panel (F2)"))
        out += KeyTable.sampling
        out.append(("", "Prompt library (F4)"))
        out += KeyTable.library
        out.append(("", "Exemplar editor (Enter on a prompt)"))
        out += KeyTable.exemplarEditor
        out += KeyTable.bigBenchDevSet
        out.append(("", "Commands (Tab completes)"))
        for c in SlashCommand.catalog { out.append(("/\(c.name)" + (c.arguments.isEmpty ? "" : " \(c.arguments)"), c.help)) }
        out.append(("", "Settings for /set"))
        for s in SettingsCatalog.all { out.append((s.name, s.explanation)) }
        return out
    }

    public func draw(into canvas: Canvas, rect: Rect) {
        let box = rect.centered(width: 96, height: rect.height - 2)
        let inside = canvas.box(box, title: "Help — Esc closes, ↑/↓ scroll")
        let rows = Self.lines()
        lastHeight = inside.height
        top = min(top, max(rows.count - inside.height, 0))
        let keyWidth = min(22, inside.width / 3)
        for i in 0..<inside.height where top + i < rows.count {
            let (keys, text) = rows[top + i]
            let r = inside.row + i
            if keys.isEmpty {
                canvas.put(text, row: r, col: inside.col + 1, role: .title, limit: inside.width - 1)
            } else {
                canvas.put(keys, row: r, col: inside.col + 2, role: .accent, limit: keyWidth - 1)
                canvas.put(text, row: r, col: inside.col + 2 + keyWidth, role: .text, limit: inside.width - keyWidth - 2)
            }
        }
    }

    public func handle(_ key: Key) -> Effect {
        switch key {
        case .escape, .function(1), .char("q"), .char("?"): return [.handled, .redraw, .close]
        case .up: top = max(top - 1, 0)
        case .down: top += 1
        case .pageUp: top = max(top - lastHeight + 1, 0)
        case .pageDown: top += lastHeight - 1
        case .home: top = 0
        default: return [.handled]
        }
        return .consumed
    }
}
