import PalmtopPrompts

/// The editor's screen, top to bottom: prompt facts, the exemplar list, the query (or the field being
/// edited), the lower area (query output, assembled-prompt preview or dev-set results), the accuracy
/// line, one ✓/✗ per dev item with the prompt tokens reused and computed, and the keys (or the
/// pending y/n question).
extension ExemplarEditor {
    public func draw(into canvas: Canvas, rect: Rect) {
        let origin = prompt.path == nil && prompt.source != nil ? " (\(prompt.source!): s saves it as a library prompt)" : ""
        let inside = canvas.box(rect, title: "\(prompt.name)\(isModified ? " (modified)" : "")\(isShipped ? " (shipped template: s saves a copy)" : "")\(origin) — exemplar editor")
        guard inside.height >= 10 else { return }
        let w = inside.width - 2, c = inside.col + 1
        let footer = focus == .list ? KeyTable.footer(KeyTable.exemplarEditor, width: w)
            : [focus == .query ? "Enter run  Tab/Esc back to the list" : "Tab next field  Enter keep  Esc cancel  ^J new line"]
        var row = inside.row
        let current = host.backend.modelName
        let modelNote = current == prompt.model ? prompt.model : "prefers \(prompt.model), running \(current) (m switches)"
        let devNote = bigBench.map { " · BIG-bench \($0.metric)" } ?? ""
        canvas.put("\(modelNote) · \(prompt.mode.rawValue) · \(prompt.scoring.rawValue) · \(prompt.enabledExemplars.count)/\(prompt.exemplars.count) exemplars on" + devNote,
                   row: row, col: c, role: .accent, limit: w)
        row += 1
        // Fixed rows: facts, blank, query line, accuracy, marks, footer; the lower area keeps at least 4.
        let listHeight = max(min(prompt.exemplars.count, inside.height - 5 - footer.count - 4), 1)
        drawList(canvas, row: row, height: listHeight, col: c, width: w, fullRect: inside)
        row += listHeight + 1
        drawQueryLine(canvas, row: row, col: c, width: w)
        row += 1
        let accuracyRow = inside.bottom - footer.count - 2
        drawLowerArea(canvas, Rect(row: row, col: c, width: w, height: accuracyRow - row))
        if let accuracyLine {
            canvas.put(accuracyLine, row: accuracyRow, col: c, role: .accent, limit: w)
        } else if let bigBench {
            // Before the first run, say what the dev set is (a run's line then says how many it scored).
            canvas.put(BigBenchDevSet(live: bigBench).note + " — d runs it, + - changes how many", row: accuracyRow, col: c, role: .dim, limit: w)
        }
        var marks = results.map { StyledChar($0.correct ? "✓" : "✗", $0.correct ? .probHigh : .probLow) }
        if let tokenNote {
            marks += TextLayout.styled("   " + tokenNote, .dim)
        } else if let last = results.last {
            marks += TextLayout.styled("   #\(last.index + 1) \(Self.flat(last.input)) → \(Self.flat(last.predicted)) (expected \(Self.flat(last.expected)))", .dim)
        }
        TextLayout.draw(marks, into: canvas, row: accuracyRow + 1, col: c, limit: w)
        let footerRow = inside.bottom - footer.count
        if let confirmation {
            canvas.put(confirmation.line, row: footerRow, col: c, role: .warning, limit: w)
        } else if let nameField {
            nameField.draw(into: canvas, row: footerRow, col: c, limit: w)
        } else {
            for (i, line) in footer.enumerated() { canvas.put(line, row: footerRow + i, col: c, role: .dim, limit: w) }
        }
    }

    private func drawList(_ canvas: Canvas, row: Int, height: Int, col: Int, width: Int, fullRect: Rect) {
        if prompt.exemplars.isEmpty {
            canvas.put("no exemplars (0-shot) — a adds one", row: row, col: col, role: .dim, limit: width)
            return
        }
        let exemplars = working.exemplars
        // Leave-one-out effects stand beside the exemplars only while these are the exemplars, and
        // this the dev-set size, it ran.
        let effects = ablation.flatMap { $0.exemplars == exemplars && $0.devCount == (bigBench?.devCount ?? $0.devCount) ? $0 : nil }
        let top = max(min(selected - height / 2, exemplars.count - height), 0)
        for i in 0..<height where top + i < exemplars.count {
            let e = exemplars[top + i]
            let isSelected = top + i == selected && focus != .query
            if isSelected { canvas.fill(Rect(row: row + i, col: fullRect.col, width: fullRect.width, height: 1), role: .selection) }
            var used = canvas.put("\(e.enabled ? "[x]" : "[ ]") ", row: row + i, col: col, role: isSelected ? .selection : (e.enabled ? .text : .dim), limit: width)
            if let effects {
                let text = effects.column(top + i)
                let effect = effects.effects[top + i] ?? 0
                let role: Role = isSelected ? .selection : effect > 0.05 ? .probHigh : effect < -0.05 ? .probLow : .dim
                used += canvas.put(String(repeating: " ", count: max(6 - text.count, 0)) + text + "  ", row: row + i, col: col + used, role: role, limit: width - used)
            }
            canvas.put("\(top + i + 1). " + Self.summary(e), row: row + i, col: col + used, role: isSelected ? .selection : (e.enabled ? .text : .dim), limit: width - used)
        }
    }

    private func drawQueryLine(_ canvas: Canvas, row: Int, col: Int, width: Int) {
        if focus == .field {
            let label = "exemplar \(selected + 1) · \(fieldNames[fieldIndex]): "
            let used = canvas.put(label, row: row, col: col, role: .accent, limit: width)
            drawBuffer(field, canvas: canvas, row: row, col: col + used, limit: width - used)
            return
        }
        let used = canvas.put("query › ", row: row, col: col, role: focus == .query ? .accent : .dim, limit: width)
        if query.isEmpty && focus != .query {
            canvas.put("(Tab, then type an input and press Enter)", row: row, col: col + used, role: .dim, limit: width - used)
        } else {
            drawBuffer(query, canvas: canvas, row: row, col: col + used, limit: width - used, cursor: focus == .query)
        }
    }

    private func drawLowerArea(_ canvas: Canvas, _ area: Rect) {
        guard area.height > 0 else { return }
        let rows: [[StyledChar]]
        switch view {
        case .output:
            let text = TextLayout.styled(output, .assistant) + TextLayout.styled(answer.map { "   → answer: \($0)" } ?? "", .accent)
                + TextLayout.styled(queryNote, .dim)
            for (i, line) in TextLayout.wrap(text, width: area.width, words: true).suffix(area.height).enumerated() {
                TextLayout.draw(line, into: canvas, row: area.row + i, col: area.col, limit: area.width)
            }
            return
        case .preview:
            TextLayout.draw(PromptPreview.legend(), into: canvas, row: area.row, col: area.col, limit: area.width)
            let rendered = working.renderWithSpans(query: query.isEmpty ? "…" : query.text, chatTemplate: host.backend.chatTemplate)
            rows = PromptPreview.rows(rendered, width: area.width)
        case .results:
            let header = results.isEmpty ? "no dev-set results yet — d runs the dev set"
                : "dev-set results (r hides)" + (prompt.scoring == .rankChoices ? " — logp: summed log-probability of each choice" : "")
            canvas.put(header, row: area.row, col: area.col, role: .dim, limit: area.width)
            rows = resultRows(width: area.width)
        }
        // The first row holds the header; the rest scrolls.
        let height = area.height - 1
        scroll = followEnd && view == .results ? max(rows.count - height, 0) : min(max(scroll, 0), max(rows.count - height, 0))
        for (i, line) in rows.dropFirst(scroll).prefix(height).enumerated() {
            TextLayout.draw(line, into: canvas, row: area.row + 1 + i, col: area.col, limit: area.width)
        }
    }

    private func drawBuffer(_ b: TextBuffer, canvas: Canvas, row: Int, col: Int, limit: Int, cursor: Bool = true) {
        let before = Self.flat(String(b.chars[..<b.cursor])), after = Self.flat(String(b.chars[b.cursor...]))
        // Keep the cursor in view when the text is longer than the line.
        let shown = DisplayWidth.of(before) < limit ? before : String(before.suffix(max(limit / 2, 1)))
        let used = canvas.put(shown, row: row, col: col, role: .text, limit: limit)
        canvas.put(after, row: row, col: col + used, role: .text, limit: limit - used)
        if cursor { canvas.placeCursor(row: row, col: col + used) }
    }
}
