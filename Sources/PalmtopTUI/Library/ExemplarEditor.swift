import Foundation
import PalmtopEngine
import PalmtopPrompts

/// The exemplar editor for one library prompt: toggle and edit exemplars, run a query with the prompt's
/// own sampling, run the dev set (per-item pass/fail, accuracy, and "before → after" when the exemplars
/// changed since the last run), and save the file atomically. Runs go through the app's session, so an
/// edit recomputes only the tokens after the first changed one.
public final class ExemplarEditor: Panel {
    enum Focus: Equatable { case list, query, field }

    private unowned let host: LibraryHost
    public private(set) var prompt: PromptFile
    public private(set) var selected = 0
    private(set) var focus = Focus.list
    private var query = TextBuffer()
    private var field = TextBuffer()
    private var fieldIndex = 0
    public private(set) var output = ""
    public private(set) var answer: String?
    /// How much of the last query's prompt came from the KV cache.
    private var queryNote = ""
    public private(set) var results: [EvalItemResult] = []
    public private(set) var accuracyLine: String?
    private var devTotal = 0
    private var lastRun: (exemplars: [Exemplar], accuracy: Double)?
    private var running = false
    private var unsaved = false
    private let stop = StopFlag()

    public init(host: LibraryHost, prompt: PromptFile) {
        self.host = host
        self.prompt = prompt
    }

    /// The fields the template uses, in the order the editor walks them.
    private var fieldNames: [String] { PromptFile.exemplarFields.filter { prompt.template.contains("{\($0)}") || $0 == "output" } }

    public func handle(_ key: Key) -> Effect {
        switch focus {
        case .field: return editField(key)
        case .query: return editQuery(key)
        case .list: return handleList(key)
        }
    }

    private func handleList(_ key: Key) -> Effect {
        switch key {
        case .escape:
            if running { stopRun(); return .consumed }
            host.present(LibraryPanel(host: host))
        case .function(4): return [.handled, .redraw, .close]
        case .up: selected = max(selected - 1, 0)
        case .down: selected = min(selected + 1, max(prompt.exemplars.count - 1, 0))
        case .char(" "):
            guard prompt.exemplars.indices.contains(selected) else { break }
            prompt.exemplars[selected].enabled.toggle()
            unsaved = true
        case .char("e"), .enter:
            guard prompt.exemplars.indices.contains(selected) else { break }
            focus = .field
            fieldIndex = 0
            field = TextBuffer(prompt.exemplars[selected].fields[fieldNames[0]] ?? "")
        case .tab, .char("/"): focus = .query
        case .char("d"): runDevSet()
        case .char("s"): save()
        case .char("m"): host.switchModel(to: prompt.model)
        default: return [.handled]
        }
        return .consumed
    }

    private func editQuery(_ key: Key) -> Effect {
        switch key {
        case .tab, .escape: focus = .list
        case .enter: runQuery()
        default: edit(&query, key)
        }
        return .consumed
    }

    private func editField(_ key: Key) -> Effect {
        switch key {
        case .escape: focus = .list
        case .tab:
            storeField()
            fieldIndex = (fieldIndex + 1) % fieldNames.count
            field = TextBuffer(prompt.exemplars[selected].fields[fieldNames[fieldIndex]] ?? "")
        case .enter:
            storeField()
            focus = .list
        default: edit(&field, key)
        }
        return .consumed
    }

    private func storeField() {
        let name = fieldNames[fieldIndex]
        guard prompt.exemplars[selected].fields[name] != field.text else { return }
        prompt.exemplars[selected].fields[name] = field.text
        unsaved = true
    }

    private func edit(_ buffer: inout TextBuffer, _ key: Key) {
        switch key {
        case .char(let c): buffer.insert(String(c))
        case .ctrl("j"), .altEnter: buffer.insert("\n")
        case .backspace: buffer.backspace()
        case .delete: buffer.deleteForward()
        case .left: buffer.left()
        case .right: buffer.right()
        case .home, .ctrl("a"): buffer.toStart()
        case .end, .ctrl("e"): buffer.toEnd()
        case .ctrl("k"): buffer.killToLineEnd()
        case .ctrl("u"): buffer.killToLineStart()
        case .ctrl("w"): buffer.deleteWordBackward()
        default: break
        }
    }

    /// Stops the running query or dev-set run (Esc, Ctrl-C): the current item ends early and no
    /// further items start.
    public func stopRun() {
        guard running else { return }
        stop.raise()
        host.cancelLibraryJob()
    }

    private func save() {
        guard let path = prompt.path else { host.notify("this prompt has no file to save to", .error); return }
        do {
            try prompt.save(to: path)
            unsaved = false
            host.notify("saved \(path) (previous version kept as \((path as NSString).lastPathComponent)~)", .info)
        } catch {
            host.notify("\(error)", .error)
        }
    }

    private func start(_ job: @escaping (Session, EventQueue<LibraryEvent>) -> Void) -> Bool {
        guard !running else { host.notify("a run is in progress — Esc stops it", .warning); return false }
        stop.reset()
        guard host.runLibraryJob(job) else { host.notify("the engine is busy — stop the chat generation first", .warning); return false }
        running = true
        return true
    }

    private func runQuery() {
        let p = prompt, input = query.text, stop = self.stop
        guard !input.trimmingCharacters(in: .whitespaces).isEmpty else { host.notify("type a query first", .warning); return }
        guard start({ session, queue in
            let text = p.render(query: input, chatTemplate: session.model.chatTemplate)
            do {
                let summary = try session.generate(prompt: session.model.encode(text, parseSpecial: p.mode == .chat), settings: p.sampling) { e in
                    queue.push(.text(e.text))
                    return !stop.isRaised
                }
                queue.push(.generated(summary))
            } catch {
                queue.push(.failed("\(error)"))
            }
        }) else { return }
        output = ""
        answer = nil
        queryNote = ""
        focus = .list
    }

    private func runDevSet() {
        let items: [DevItem]
        do { items = try prompt.loadDevSet() } catch { host.notify("\(error)", .error); return }
        guard !items.isEmpty else { host.notify("this prompt has no dev set", .warning); return }
        let p = prompt, stop = self.stop
        guard start({ session, queue in
            let evaluator = Evaluator(prompt: p, session: session)
            let reused0 = session.totalReused, computed0 = session.totalComputed
            var correct = 0, done = 0
            do {
                for (i, item) in items.enumerated() where !stop.isRaised {
                    let r = try evaluator.evaluate(item, index: i)
                    if r.correct { correct += 1 }
                    done += 1
                    queue.push(.item(r))
                }
                queue.push(.evaluated(correct: correct, total: done, reused: session.totalReused - reused0,
                                      computed: session.totalComputed - computed0))
            } catch {
                queue.push(.failed("\(error)"))
            }
        }) else { return }
        results = []
        devTotal = items.count
        accuracyLine = "running the dev set (\(items.count) items)… Esc stops"
    }

    /// An event from the job this editor started.
    public func apply(_ event: LibraryEvent) {
        switch event {
        case .text(let t): output += t
        case .generated(let summary):
            output = summary.text
            answer = prompt.extractor?.extract(summary.text)
            queryNote = "   (prompt tokens reused \(summary.reusedTokens), computed \(summary.computedTokens))"
            running = false
        case .item(let r):
            results.append(r)
            accuracyLine = "dev set: \(results.count)/\(devTotal) run, \(results.filter(\.correct).count) correct…"
        case .evaluated(let correct, let total, let reused, let computed):
            running = false
            let accuracy = total > 0 ? Double(correct) / Double(total) : 0
            var line = String(format: "dev set: %d/%d correct (%.1f%%), prompt tokens reused %d, computed %d",
                              correct, total, accuracy * 100, reused, computed)
            if total < devTotal { line += " — stopped early" }
            if let last = lastRun, last.exemplars != prompt.exemplars {
                line += String(format: "   before → after: %.1f%% → %.1f%%", last.accuracy * 100, accuracy * 100)
            }
            accuracyLine = line
            lastRun = (prompt.exemplars, accuracy)
        case .failed(let why):
            running = false
            host.notify(why, .error)
        }
    }

    // MARK: drawing

    public func draw(into canvas: Canvas, rect: Rect) {
        let inside = canvas.box(rect, title: "\(prompt.name)\(unsaved ? " (modified)" : "") — exemplar editor")
        guard inside.height >= 8 else { return }
        let w = inside.width - 2, c = inside.col + 1
        var row = inside.row
        let current = host.model.name
        let modelNote = current == prompt.model ? prompt.model : "prefers \(prompt.model), running \(current) (m switches)"
        canvas.put("\(modelNote) · \(prompt.mode.rawValue) · \(prompt.scoring.rawValue) · \(prompt.enabledExemplars.count)/\(prompt.exemplars.count) exemplars on",
                   row: row, col: c, role: .accent, limit: w)
        row += 1
        let listHeight = max(min(prompt.exemplars.count, inside.height - 9), 1)
        let top = max(min(selected - listHeight / 2, prompt.exemplars.count - listHeight), 0)
        for i in 0..<listHeight where top + i < prompt.exemplars.count {
            let e = prompt.exemplars[top + i]
            let isSelected = top + i == selected && focus != .query
            let line = "\(e.enabled ? "[x]" : "[ ]") \(top + i + 1). " + Self.flat(e.fields["input"] ?? "") + "  →  " + Self.flat(e.fields["output"] ?? "")
            if isSelected { canvas.fill(Rect(row: row, col: inside.col, width: inside.width, height: 1), role: .selection) }
            canvas.put(line, row: row, col: c, role: isSelected ? .selection : (e.enabled ? .text : .dim), limit: w)
            row += 1
        }
        row += 1
        if focus == .field {
            let label = "exemplar \(selected + 1) · \(fieldNames[fieldIndex]): "
            let used = canvas.put(label, row: row, col: c, role: .accent, limit: w)
            drawBuffer(field, canvas: canvas, row: row, col: c + used, limit: w - used)
        } else {
            let used = canvas.put("query › ", row: row, col: c, role: focus == .query ? .accent : .dim, limit: w)
            if query.isEmpty && focus != .query {
                canvas.put("(Tab, then type an input and press Enter)", row: row, col: c + used, role: .dim, limit: w - used)
            } else {
                drawBuffer(query, canvas: canvas, row: row, col: c + used, limit: w - used, cursor: focus == .query)
            }
        }
        row += 1
        let outputRows = TextLayout.wrap(TextLayout.styled(output, .assistant) + TextLayout.styled(answer.map { "   → answer: \($0)" } ?? "", .accent)
                                         + TextLayout.styled(queryNote, .dim),
                                         width: w, words: true)
        let footerRows = 4
        for line in outputRows.suffix(max(inside.bottom - footerRows - row, 0)) {
            TextLayout.draw(line, into: canvas, row: row, col: c, limit: w)
            row += 1
        }
        let statusRow = inside.bottom - 3
        if let accuracyLine { canvas.put(accuracyLine, row: statusRow, col: c, role: .accent, limit: w) }
        var marks = results.map { StyledChar($0.correct ? "✓" : "✗", $0.correct ? .probHigh : .probLow) }
        if let last = results.last {
            marks += TextLayout.styled("   #\(last.index + 1) \(Self.flat(last.input)) → \(Self.flat(last.predicted)) (expected \(Self.flat(last.expected)))", .dim)
        }
        TextLayout.draw(marks, into: canvas, row: statusRow + 1, col: c, limit: w)
        let keys = focus == .list ? "↑↓ select  Space on/off  e edit  Tab query  d dev set  s save  m preferred model  Esc back"
            : (focus == .query ? "Enter run  Tab/Esc back to the list" : "Tab next field  Enter keep  Esc cancel  ^J new line")
        canvas.put(keys, row: inside.bottom - 1, col: c, role: .dim, limit: w)
    }

    private func drawBuffer(_ b: TextBuffer, canvas: Canvas, row: Int, col: Int, limit: Int, cursor: Bool = true) {
        let before = Self.flat(String(b.chars[..<b.cursor])), after = Self.flat(String(b.chars[b.cursor...]))
        // Keep the cursor in view when the text is longer than the line.
        let shown = DisplayWidth.of(before) < limit ? before : String(before.suffix(max(limit / 2, 1)))
        let used = canvas.put(shown, row: row, col: col, role: .text, limit: limit)
        canvas.put(after, row: row, col: col + used, role: .text, limit: limit - used)
        if cursor { canvas.placeCursor(row: row, col: col + used) }
    }

    /// One-line form of a field: newlines shown as ⏎.
    static func flat(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: "⏎") }
}
