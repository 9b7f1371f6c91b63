import Foundation
import PalmtopPrompts

/// F4: the prompt library. Typing filters the list, ↑/↓ select, the right side previews the prompt
/// (or shows why its file does not load), Enter opens the exemplar editor, Esc closes.
public final class LibraryPanel: Panel {
    private unowned let host: LibraryHost
    private let directory: URL
    private let names: [String]
    public private(set) var filter = ""
    private var selected = 0
    private var loaded: [String: Result<PromptFile, Error>] = [:]

    public init(host: LibraryHost, directory: URL = PromptLibrary.directory()) {
        self.host = host
        self.directory = directory
        names = PromptLibrary.names(in: directory)
    }

    /// Prompt names matching the filter (case-insensitive substring).
    public var visible: [String] {
        filter.isEmpty ? names : names.filter { $0.localizedCaseInsensitiveContains(filter) }
    }

    public var selectedName: String? { visible.indices.contains(selected) ? visible[selected] : nil }

    private func prompt(_ name: String) -> Result<PromptFile, Error> {
        if let p = loaded[name] { return p }
        let r = Result { try PromptFile.load(nameOrPath: directory.appendingPathComponent("\(name).yaml").path) }
        loaded[name] = r
        return r
    }

    public func handle(_ key: Key) -> Effect {
        switch key {
        case .escape, .function(4): return [.handled, .redraw, .close]
        case .up: selected = max(selected - 1, 0)
        case .down: selected = min(selected + 1, max(visible.count - 1, 0))
        case .backspace: if !filter.isEmpty { filter.removeLast(); selected = 0 }
        case .ctrl("u"): filter = ""; selected = 0
        case .char(let c): filter.append(c); selected = 0
        case .enter:
            guard let name = selectedName else { return [.handled] }
            switch prompt(name) {
            case .success(let file): host.present(ExemplarEditor(host: host, prompt: file))
            case .failure(let error): host.notify("\(error)", .error)
            }
        default: return [.handled]
        }
        return .consumed
    }

    public func draw(into canvas: Canvas, rect: Rect) {
        let inside = canvas.box(rect, title: "Prompt library — type to filter, Enter opens, Esc closes")
        guard !inside.isEmpty else { return }
        canvas.put("filter: ", row: inside.row, col: inside.col + 1, role: .dim)
        canvas.put(filter.isEmpty ? "(type to filter)" : filter, row: inside.row, col: inside.col + 9, role: filter.isEmpty ? .dim : .text)
        let listWidth = min(26, inside.width / 3)
        let list = visible
        let height = inside.height - 2
        let top = max(min(selected - height / 2, list.count - height), 0)
        if list.isEmpty {
            canvas.put(names.isEmpty ? "no prompts in \(directory.path)" : "nothing matches", row: inside.row + 2, col: inside.col + 1, role: .dim)
        }
        for i in 0..<height where top + i < list.count {
            let isSelected = top + i == selected
            let row = inside.row + 2 + i
            if isSelected { canvas.fill(Rect(row: row, col: inside.col, width: listWidth, height: 1), role: .selection) }
            canvas.put((isSelected ? "› " : "  ") + list[top + i], row: row, col: inside.col, role: isSelected ? .selection : .text, limit: listWidth)
        }
        for r in 0..<height { canvas.put("│", row: inside.row + 2 + r, col: inside.col + listWidth, role: .border) }
        guard let name = selectedName else { return }
        let preview = Rect(row: inside.row + 2, col: inside.col + listWidth + 2, width: inside.width - listWidth - 3, height: height)
        drawPreview(prompt(name), into: canvas, rect: preview)
    }

    private func drawPreview(_ result: Result<PromptFile, Error>, into canvas: Canvas, rect: Rect) {
        var chars: [StyledChar]
        switch result {
        case .failure(let error):
            chars = TextLayout.styled("This prompt file does not load:\n\(error)", .error)
        case .success(let p):
            chars = TextLayout.styled(p.name + "\n", .title)
            chars += TextLayout.styled("\(p.model) · \(p.mode.rawValue) · \(p.scoring.rawValue) · \(p.enabledExemplars.count)/\(p.exemplars.count) exemplars on"
                                       + (p.devPath.map { " · dev set \($0)" } ?? "") + "\n", .accent)
            chars += TextLayout.styled(p.description + "\n\n", .text)
            chars += TextLayout.styled(p.render(query: "…"), .dim)
        }
        let rows = TextLayout.wrap(chars, width: rect.width, words: true)
        for (i, row) in rows.prefix(rect.height).enumerated() {
            TextLayout.draw(row, into: canvas, row: rect.row + i, col: rect.col, limit: rect.width)
        }
    }
}
