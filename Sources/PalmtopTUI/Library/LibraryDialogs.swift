import Foundation

/// A y/n question a library panel asks before something that cannot be undone (deleting, discarding)
/// or that changes what is on screen (restoring a recovery file). Only y and n (or Esc, meaning no)
/// answer it; any other key leaves the question up, so a stray key press never decides.
struct Confirmation {
    let question: String
    let onYes: () -> Void
    let onNo: () -> Void

    init(_ question: String, onYes: @escaping () -> Void, onNo: @escaping () -> Void = {}) {
        self.question = question
        self.onYes = onYes
        self.onNo = onNo
    }

    /// The question as shown on screen.
    var line: String { question + "  (y/n)" }

    /// Runs the answer for `key`; true when the key answered the question.
    func answer(_ key: Key) -> Bool {
        switch key {
        case .char("y"), .char("Y"): onYes()
        case .char("n"), .char("N"), .escape: onNo()
        default: return false
        }
        return true
    }
}

/// A one-line text field for a prompt name (new, duplicate, rename): Enter hands the text to
/// `onEnter`, which answers whether it was accepted (a refused name keeps the field open); Esc cancels.
struct NameField {
    let label: String
    var buffer: TextBuffer
    let onEnter: (String) -> Bool

    init(_ label: String, initial: String, onEnter: @escaping (String) -> Bool) {
        self.label = label
        buffer = TextBuffer(initial)
        self.onEnter = onEnter
    }

    /// Handles a key; false once the field is finished (a name accepted, or Esc).
    mutating func handle(_ key: Key) -> Bool {
        switch key {
        case .enter: if onEnter(buffer.text.trimmingCharacters(in: .whitespaces)) { return false }
        case .escape: return false
        default: _ = buffer.applyEditingKey(key)
        }
        return true
    }

    /// Draws the label and the text with the cursor on one row.
    func draw(into canvas: Canvas, row: Int, col: Int, limit: Int) {
        let used = canvas.put(label, row: row, col: col, role: .accent, limit: limit)
        let before = String(buffer.chars[..<buffer.cursor])
        let typed = canvas.put(before, row: row, col: col + used, role: .text, limit: limit - used)
        canvas.put(String(buffer.chars[buffer.cursor...]), row: row, col: col + used + typed, role: .text, limit: limit - used - typed)
        canvas.placeCursor(row: row, col: col + used + typed)
    }
}
