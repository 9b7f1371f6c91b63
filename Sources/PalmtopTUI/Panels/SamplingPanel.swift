import PalmtopEngine

/// F2: every sampler setting with its value and a one-line explanation. ↑/↓ select; ←/→ or +/- change;
/// Enter types a value; 1–4 apply a preset. On the order row ←/→ pick a stage and +/- move it along the
/// chain. Changes go straight to the app's settings and apply to the next generation. A setting the
/// backend does not take (a remote server's `ignoredSettings`) says so in place of its explanation.
public final class SamplingPanel: Panel {
    private let read: () -> SamplingSettings
    private let write: (SamplingSettings) -> Void
    /// Asked at each draw, since `/backend` can change the server while the panel is open.
    private let ignored: () -> Set<String>
    public static let ignoredNote = "(ignored by this server)"
    public private(set) var selected = 0
    public private(set) var preset: SamplingPreset?
    private var stageCursor = 0
    private var editing: TextBuffer?
    private var error: String?

    /// The settings rows between the preset row and the order row.
    private static let specs = SettingsCatalog.all.filter { $0.name != "order" }
    private var rowCount: Int { Self.specs.count + 2 }
    private var orderRow: Int { rowCount - 1 }

    public init(read: @escaping () -> SamplingSettings, write: @escaping (SamplingSettings) -> Void,
                ignored: @escaping () -> Set<String> = { [] }) {
        self.read = read
        self.write = write
        self.ignored = ignored
    }

    public var isEditing: Bool { editing != nil }

    public func handle(_ key: Key) -> Effect {
        if editing != nil { return handleEdit(key) }
        var s = read()
        switch key {
        case .escape, .function(2), .char("q"): return [.handled, .redraw, .close]
        case .up: selected = (selected + rowCount - 1) % rowCount
        case .down, .tab: selected = (selected + 1) % rowCount
        case .char(let c) where ("1"..."4").contains(c):
            applyPreset(SamplingPreset.allCases[Int(String(c))! - 1])
        case .left, .right, .char("+"), .char("-"), .char("="):
            let up = key == .right || key == .char("+") || key == .char("=")
            if selected == 0 {
                let all = SamplingPreset.allCases
                let i = preset.flatMap { all.firstIndex(of: $0) } ?? (up ? all.count - 1 : 0)
                applyPreset(all[(i + (up ? 1 : all.count - 1)) % all.count])
            } else if selected == orderRow {
                if key == .left || key == .right {
                    stageCursor = min(max(stageCursor + (up ? 1 : -1), 0), max(s.order.count - 1, 0))
                } else {
                    let j = stageCursor + (up ? 1 : -1)
                    guard s.order.indices.contains(j), s.order.indices.contains(stageCursor) else { return [.handled] }
                    s.order.swapAt(stageCursor, j)
                    stageCursor = j
                    commit(s)
                }
            } else {
                Self.specs[selected - 1].nudge(&s, up ? 1 : -1)
                commit(s)
            }
        case .enter:
            guard selected > 0 else { return [.handled] }
            let name = selected == orderRow ? "order" : Self.specs[selected - 1].name
            editing = TextBuffer(SettingsCatalog.spec(named: name)!.read(s))
            error = nil
        default: return [.handled]
        }
        return .consumed
    }

    private func handleEdit(_ key: Key) -> Effect {
        switch key {
        case .escape: editing = nil
        case .enter:
            var s = read()
            let name = selected == orderRow ? "order" : Self.specs[selected - 1].name
            do {
                try SettingsCatalog.set(name, to: editing!.text, in: &s)
                commit(s)
                editing = nil
            } catch {
                self.error = "\(error)"
            }
        case .char(let c): editing!.insert(String(c))
        case .backspace: editing!.backspace()
        case .delete: editing!.deleteForward()
        case .left: editing!.left()
        case .right: editing!.right()
        case .home, .ctrl("a"): editing!.toStart()
        case .end, .ctrl("e"): editing!.toEnd()
        case .ctrl("u"): editing!.killToLineStart()
        default: break
        }
        return .consumed
    }

    private func applyPreset(_ p: SamplingPreset) {
        preset = p
        write(p.apply(to: read()))
        error = nil
    }

    private func commit(_ s: SamplingSettings) {
        do {
            try s.validate()
            write(s)
            preset = nil
            error = nil
        } catch {
            self.error = "\(error)"
        }
    }

    public func draw(into canvas: Canvas, rect: Rect) {
        let box = rect.centered(width: 110, height: rowCount + 5)
        let inside = canvas.box(box, title: "Sampling — applies to the next generation")
        let s = read()
        let ignored = ignored()
        let nameWidth = 19, valueWidth = 16
        let explainCol = inside.col + 1 + nameWidth + valueWidth
        for i in 0..<rowCount where i < inside.height - 3 {
            let r = inside.row + i
            let isSelected = i == selected
            let role: Role = isSelected ? .selection : .text
            if isSelected { canvas.fill(Rect(row: r, col: inside.col, width: inside.width, height: 1), role: .selection) }
            let (name, value, explanation): (String, String, String)
            if i == 0 {
                (name, value, explanation) = ("preset", preset?.rawValue ?? "custom", preset?.explanation ?? "←/→ or 1–4: greedy, code, balanced, creative")
            } else if i == orderRow {
                name = "order"; value = ""; explanation = ""
            } else {
                let spec = Self.specs[i - 1]
                (name, value, explanation) = (spec.name, spec.read(s), spec.explanation)
            }
            canvas.put(name, row: r, col: inside.col + 1, role: isSelected ? .selection : .accent, limit: nameWidth)
            let isIgnored = i > 0 && ignored.contains(name)
            if i == orderRow {
                var c = inside.col + 1 + nameWidth
                if isIgnored { c += canvas.put(Self.ignoredNote + "  ", row: r, col: c, role: isSelected ? .selection : .warning, limit: inside.width - nameWidth - 1) }
                drawOrder(s.order, canvas: canvas, row: r, col: c, limit: inside.col + inside.width - c, active: isSelected)
                continue
            }
            if isSelected, let editing {
                canvas.put(editing.text, row: r, col: inside.col + 1 + nameWidth, role: .text, limit: valueWidth - 1)
                canvas.placeCursor(row: r, col: inside.col + 1 + nameWidth + DisplayWidth.of(String(editing.chars[..<editing.cursor])))
            } else {
                canvas.put(DisplayWidth.truncate(value, to: valueWidth - 1), row: r, col: inside.col + 1 + nameWidth, role: role, limit: valueWidth - 1)
            }
            canvas.put(isIgnored ? Self.ignoredNote + " " + explanation : explanation, row: r, col: explainCol,
                       role: isSelected ? .selection : (isIgnored ? .warning : .dim), limit: inside.col + inside.width - explainCol)
        }
        let footer = inside.bottom - 2
        if let error {
            canvas.put(error, row: footer, col: inside.col + 1, role: .error, limit: inside.width - 2)
        } else if editing != nil {
            canvas.put("Enter sets the value, Esc cancels", row: footer, col: inside.col + 1, role: .dim, limit: inside.width - 2)
        }
        let keys = selected == orderRow ? "←/→ pick a stage   +/- move it   Enter type the order   Esc close"
            : "↑/↓ select   ←/→ or +/- change   Enter type a value   1–4 presets   Esc close"
        canvas.put(keys, row: inside.bottom - 1, col: inside.col + 1, role: .dim, limit: inside.width - 2)
    }

    private func drawOrder(_ order: [SamplerStage], canvas: Canvas, row: Int, col: Int, limit: Int, active: Bool) {
        var c = col
        for (i, stage) in order.enumerated() {
            if i > 0 { c += canvas.put(" → ", row: row, col: c, role: active ? .selection : .dim, limit: col + limit - c) }
            let role: Role = active && i == stageCursor ? .statusAccent : (active ? .selection : .text)
            c += canvas.put(stage.rawValue, row: row, col: c, role: role, limit: col + limit - c)
        }
    }
}
