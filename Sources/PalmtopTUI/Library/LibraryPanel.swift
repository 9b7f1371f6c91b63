import Foundation
import PalmtopBigBench
import PalmtopPrompts

/// F4: the prompt library. Typing filters the list, ↑/↓ select, the right side previews the prompt
/// (or shows why its file does not load), Enter opens the exemplar editor; Ctrl keys create a prompt
/// from a template, duplicate, rename and delete (after a y/n question), and the list refreshes.
/// Esc closes. It lists the user's prompts, then the shipped templates (marked); a shipped one
/// cannot be renamed or deleted, and saving or duplicating it writes into the user's library. Then
/// come BIG-bench's tasks, when pulled (`bigbench:TASK`; otherwise one row saying how to pull them):
/// Enter opens one as a live prompt. A prompt or task whose dev set the backend cannot score (rank
/// classification on a server without prompt log-probabilities) is marked, and its preview says why.
public final class LibraryPanel: Panel {
    private unowned let host: LibraryHost
    private let files: LibraryFiles
    private var entries: [PromptLibrary.Entry]
    private let bigBench: BigBenchShelf
    private var names: [String] { entries.map(\.name) + bigBench.names }
    public private(set) var filter = ""
    private var selected = 0
    private var loaded: [String: Result<PromptFile, Error>] = [:]
    /// A name being typed for a new, duplicated or renamed prompt.
    private var nameField: NameField?
    private var confirmation: Confirmation?

    /// `selecting` is the path of a prompt to select (the one the editor just left), or a BIG-bench task's reference.
    public init(host: LibraryHost, selecting: String? = nil) {
        self.host = host
        files = LibraryFiles(directory: PromptLibrary.userDirectory())
        entries = PromptLibrary.entries()
        bigBench = BigBenchShelf(store: BigBenchStore())
        if let selecting {
            selected = names.firstIndex(of: URL(fileURLWithPath: selecting).deletingPathExtension().lastPathComponent) ?? 0
        }
    }

    /// Prompt names matching the filter (case-insensitive substring).
    public var visible: [String] {
        filter.isEmpty ? names : names.filter { $0.localizedCaseInsensitiveContains(filter) }
    }

    public var selectedName: String? { visible.indices.contains(selected) ? visible[selected] : nil }

    private func entry(_ name: String) -> PromptLibrary.Entry? { entries.first { $0.name == name } }

    /// The selected prompt when it is the user's own; for a shipped template, a note and nil.
    private func ownSelected(_ action: String) -> String? {
        guard let name = selectedName, let e = entry(name) else { return nil }
        if e.shipped { host.notify("\(name) is a shipped template and cannot be \(action) — ^T duplicates it into your library", .warning); return nil }
        return name
    }

    private func prompt(_ name: String) -> Result<PromptFile, Error> {
        if let p = loaded[name] { return p }
        let r = Result { try PromptFile.load(nameOrPath: entry(name)?.path ?? files.path(name)) }
        loaded[name] = r
        return r
    }

    public func handle(_ key: Key) -> Effect {
        if let question = confirmation {
            confirmation = nil
            if !question.answer(key) { confirmation = question }
            return .consumed
        }
        if var field = nameField {
            nameField = field.handle(key) ? field : nil
            return .consumed
        }
        switch key {
        case .escape, .function(4): return [.handled, .redraw, .close]
        case .up: selected = max(selected - 1, 0)
        case .down: selected = min(selected + 1, max(visible.count - 1, 0))
        case .backspace: if !filter.isEmpty { filter.removeLast(); selected = 0 }
        case .ctrl("u"): filter = ""; selected = 0
        case .char(let c): filter.append(c); selected = 0
        case .enter:
            guard let name = selectedName else { return [.handled] }
            if name == BigBenchShelf.missingName { host.notify(bigBench.problem ?? "", .warning); return .consumed }
            if let item = bigBench.item(name) { open(item); return .consumed }
            switch prompt(name) {
            case .success(let file): host.present(ExemplarEditor(host: host, prompt: file))
            case .failure(let error): host.notify("\(error)", .error)
            }
        case .ctrl("n"):
            nameField = NameField("new prompt name: ", initial: "") { [unowned self] new in
                change(selecting: new, "created \(new).yaml from the template — Enter opens it") { try files.create(new) }
            }
        case .ctrl("t"):
            guard let name = selectedName, let source = entry(name) else { return [.handled] }
            nameField = NameField("duplicate \(name) as: ", initial: "\(name)-copy") { [unowned self] new in
                change(selecting: new, "duplicated \(name) as \(new)") { try files.duplicate(source.path, as: new) }
            }
        case .ctrl("r"):
            guard let name = ownSelected("renamed") else { return [.handled] }
            nameField = NameField("rename \(name) to: ", initial: name) { [unowned self] new in
                change(selecting: new, "renamed \(name) to \(new)") { try files.rename(name, to: new) }
            }
        case .ctrl("x"), .delete:
            guard let name = ownSelected("deleted") else { return [.handled] }
            confirmation = Confirmation("delete \(name)? (the file is kept as \(name).yaml~)") { [unowned self] in
                change(selecting: nil, "deleted \(name) (kept as \(name).yaml~)") { try files.delete(name) }
            }
        default: return [.handled]
        }
        return .consumed
    }

    /// Opens a BIG-bench task as a live prompt (its file is read now, and only this subtask's).
    private func open(_ item: BigBenchShelf.Item) {
        do {
            let live = try BigBenchLivePrompt(task: BigBenchStore().load(String(item.reference.dropFirst("bigbench:".count))))
            host.present(ExemplarEditor(host: host, prompt: try live.prompt(model: host.backend.modelName), bigBench: live))
        } catch {
            host.notify("\(error)", .error)
        }
    }

    /// Why the row `name` cannot run its dev set on the current backend, or nil. A prompt's file is
    /// read for this only when the backend cannot score at all.
    private func limitation(_ name: String) -> String? {
        let backend = host.backend
        if let item = bigBench.item(name) { return BigBenchShelf.limitation(item, on: backend) }
        guard !backend.capabilities.scoring, entry(name) != nil, case .success(let p) = prompt(name), p.scoring == .rankChoices else { return nil }
        return backend.capabilities.scoringLimitation ?? "this backend cannot score choices"
    }

    /// A row of the list: the name and its marks.
    private func row(for name: String) -> String {
        name + (entry(name)?.shipped == true ? " ·shipped" : "") + (bigBench.item(name)?.summary.lite == true ? " ·lite" : "")
            + (limitation(name) != nil ? " ·cannot score here" : "")
    }

    /// Runs a file operation, then re-reads the list and selects `name`. False (and the error shown)
    /// when it failed, which keeps a name field open for another try.
    @discardableResult
    private func change(selecting name: String?, _ done: String, _ operation: () throws -> Void) -> Bool {
        do { try operation() } catch { host.notify("\(error)", .error); return false }
        entries = PromptLibrary.entries()
        loaded = [:]
        if let name {
            if !visible.contains(name) { filter = "" }
            selected = visible.firstIndex(of: name) ?? 0
        } else {
            // Stay among the prompts (after a delete): the rows after them are BIG-bench's.
            selected = min(selected, max(visible.filter { entry($0) != nil }.count - 1, 0))
        }
        host.notify(done, .info)
        return true
    }

    public func draw(into canvas: Canvas, rect: Rect) {
        let inside = canvas.box(rect, title: "Prompt library — type to filter, Enter opens, Esc closes")
        guard inside.height > 4 else { return }
        canvas.put("filter: ", row: inside.row, col: inside.col + 1, role: .dim)
        canvas.put(filter.isEmpty ? "(type to filter)" : filter, row: inside.row, col: inside.col + 9, role: filter.isEmpty ? .dim : .text)
        let list = visible
        // Wide enough for the longest row (BIG-bench's subtask names run long), up to two fifths.
        let listWidth = min(max(26, (list.map { DisplayWidth.of(row(for: $0)) }.max() ?? 0) + 3), inside.width * 2 / 5)
        let footer = KeyTable.footer(KeyTable.library, width: inside.width - 2)
        let height = max(inside.height - 2 - footer.count, 0)
        let top = max(min(selected - height / 2, list.count - height), 0)
        if list.isEmpty {
            canvas.put(names.isEmpty ? "no prompts in \(files.directory.path)" : "nothing matches", row: inside.row + 2, col: inside.col + 1, role: .dim)
        }
        for i in 0..<height where top + i < list.count {
            let isSelected = top + i == selected
            let row = inside.row + 2 + i
            if isSelected { canvas.fill(Rect(row: row, col: inside.col, width: listWidth, height: 1), role: .selection) }
            let name = list[top + i]
            let shipped = entry(name)?.shipped == true
            canvas.put((isSelected ? "› " : "  ") + self.row(for: name), row: row, col: inside.col,
                       role: isSelected ? .selection : shipped || name == BigBenchShelf.missingName ? .dim : .text, limit: listWidth)
        }
        for r in 0..<height { canvas.put("│", row: inside.row + 2 + r, col: inside.col + listWidth, role: .border) }
        drawFooter(canvas, footer, row: inside.bottom - footer.count, col: inside.col + 1, width: inside.width - 2)
        guard let name = selectedName else { return }
        let preview = Rect(row: inside.row + 2, col: inside.col + listWidth + 2, width: inside.width - listWidth - 3, height: height)
        if name == BigBenchShelf.missingName {
            draw(TextLayout.styled("BIG-bench\n", .title) + TextLayout.styled((bigBench.problem ?? "") + "\n\n", .warning)
                 + TextLayout.styled("Its 167 JSON tasks (358 MB to download, 1.6 GB unpacked) then appear here; Enter opens one as a live prompt.", .dim),
                 into: canvas, rect: preview)
        } else if let item = bigBench.item(name) {
            draw(bigBenchPreview(item), into: canvas, rect: preview)
        } else {
            drawPreview(prompt(name), shipped: entry(name)?.shipped == true, limitation: limitation(name), into: canvas, rect: preview)
        }
    }

    /// The bottom rows: the name being typed, the pending question, or the keys.
    private func drawFooter(_ canvas: Canvas, _ keys: [String], row: Int, col: Int, width: Int) {
        if let nameField {
            nameField.draw(into: canvas, row: row, col: col, limit: width)
        } else if let confirmation {
            canvas.put(confirmation.line, row: row, col: col, role: .warning, limit: width)
        } else {
            for (i, line) in keys.enumerated() { canvas.put(line, row: row + i, col: col, role: .dim, limit: width) }
        }
    }

    private func bigBenchPreview(_ item: BigBenchShelf.Item) -> [StyledChar] {
        let s = item.summary
        var chars = TextLayout.styled(item.reference + "\n", .title)
        let parent = item.subtask == nil ? "" : " · subtask of \(s.name) (\(s.subtasks.count) subtasks, \(s.examples) examples in all)"
        chars += TextLayout.styled("BIG-bench\(s.lite ? " Lite" : "") · \(s.type) · \(item.subtask == nil ? "\(s.examples) examples · " : "")\(s.preferredMetric)\(parent)\n", .accent)
        if let why = BigBenchShelf.limitation(item, on: host.backend) {
            chars += TextLayout.styled("cannot run here: \(why)\n", .warning)
        }
        chars += TextLayout.styled(s.description + "\n\n", .text)
        chars += TextLayout.styled("Enter opens it as a live prompt: the \(BigBenchLivePrompt.defaultShots) shots BIG-bench draws become exemplars, "
                                   + "its prefixes the template, and its first \(BigBenchLivePrompt.defaultDevSize) other queries the dev set, "
                                   + "scored by BIG-bench's own metric; s saves it as a library prompt.", .dim)
        return chars
    }

    private func draw(_ chars: [StyledChar], into canvas: Canvas, rect: Rect) {
        for (i, row) in TextLayout.wrap(chars, width: rect.width, words: true).prefix(rect.height).enumerated() {
            TextLayout.draw(row, into: canvas, row: rect.row + i, col: rect.col, limit: rect.width)
        }
    }

    private func drawPreview(_ result: Result<PromptFile, Error>, shipped: Bool, limitation: String?, into canvas: Canvas, rect: Rect) {
        var chars: [StyledChar]
        switch result {
        case .failure(let error):
            chars = TextLayout.styled("This prompt file does not load:\n\(error)", .error)
        case .success(let p):
            chars = TextLayout.styled(p.name + "\n", .title)
            chars += TextLayout.styled("\(p.model) · \(p.mode.rawValue) · \(p.scoring.rawValue) · \(p.enabledExemplars.count)/\(p.exemplars.count) exemplars on"
                                       + (p.devPath.map { " · dev set \($0)" } ?? "") + "\n", .accent)
            if shipped {
                chars += TextLayout.styled("shipped template: saving it writes a copy into your library (\(files.directory.path))\n", .dim)
            }
            if let limitation {
                chars += TextLayout.styled("its dev set cannot run here: \(limitation)\n", .warning)
            }
            if let path = p.path, RecoveryFile.exists(for: PromptLibrary.saveTarget(for: path)) {
                chars += TextLayout.styled("unsaved changes were autosaved: opening offers to restore them\n", .warning)
            }
            chars += TextLayout.styled(p.description + "\n\n", .text)
            chars += TextLayout.styled(p.render(query: "…"), .dim)
        }
        draw(chars, into: canvas, rect: rect)
    }
}
