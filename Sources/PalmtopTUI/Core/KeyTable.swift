/// What a global key does.
public enum Action: String, CaseIterable, Sendable {
    case help, sampling, inspector, library, toggleProbs, cancel, quit
    case scrollPageUp, scrollPageDown, scrollLineUp, scrollLineDown
}

/// One row of the key table: the keys, the action, what help says and (if any) the hint-bar label.
public struct KeyBinding: Sendable {
    public let keys: [Key]
    public let action: Action
    public let help: String
    public let hint: String?
}

/// Key bindings as data: the app dispatches global keys through it, and the hint bar and the help overlay
/// are generated from it, so they cannot drift apart.
public enum KeyTable {
    /// Keys that work everywhere outside an overlay (after the focused panel declined the key).
    public static let global: [KeyBinding] = [
        KeyBinding(keys: [.function(1), .char("?")], action: .help, help: "help (? when the input is empty)", hint: "help"),
        KeyBinding(keys: [.function(2)], action: .sampling, help: "sampling panel", hint: "sampling"),
        KeyBinding(keys: [.function(3)], action: .inspector, help: "token inspector on the last response", hint: "inspect"),
        KeyBinding(keys: [.function(4)], action: .library, help: "prompt library browser", hint: "library"),
        KeyBinding(keys: [.function(5)], action: .toggleProbs, help: "colour tokens by probability (/probs)", hint: "probs"),
        KeyBinding(keys: [.escape], action: .cancel, help: "stop the generation (also Ctrl-C)", hint: "stop"),
        KeyBinding(keys: [.pageUp], action: .scrollPageUp, help: "scroll the transcript up a page", hint: nil),
        KeyBinding(keys: [.pageDown], action: .scrollPageDown, help: "scroll the transcript down a page", hint: nil),
        KeyBinding(keys: [.shiftUp], action: .scrollLineUp, help: "scroll up a line", hint: nil),
        KeyBinding(keys: [.shiftDown], action: .scrollLineDown, help: "scroll down a line", hint: nil),
        KeyBinding(keys: [.ctrl("d")], action: .quit, help: "quit (when the input is empty; also /quit)", hint: "quit"),
    ]

    public static func action(for key: Key) -> Action? { global.first { $0.keys.contains(key) }?.action }

    /// Editing keys of the input line, for help.
    public static let editing: [(keys: String, help: String)] = [
        ("Enter", "send the message (or run a /command)"),
        ("Alt-Enter, ^J", "new line"),
        ("↑ ↓", "previous / next line, then history"),
        ("← → Home End", "move"),
        ("^A ^E", "start / end of line"),
        ("^K ^U", "delete to end / start of line"),
        ("^W", "delete the word before the cursor"),
        ("Backspace Del", "delete a character"),
        ("Tab", "complete a /command, parameter or value"),
        ("PgUp PgDn", "scroll the transcript"),
    ]

    /// Keys of the token inspector (F3), for help and its own footer.
    public static let inspector: [(keys: String, help: String)] = [
        ("← →", "previous / next token of the last response"),
        ("↑ ↓", "choose an alternative"),
        ("Enter", "branch: cut the response here and continue with the alternative"),
        ("[ ]", "previous / next branch of the response"),
        ("Esc, F3", "close the inspector"),
    ]

    /// Keys of the sampling panel (F2).
    public static let sampling: [(keys: String, help: String)] = [
        ("↑ ↓", "choose a setting"),
        ("← → + -", "change it (on the order row: choose a stage / move it)"),
        ("Enter", "type a value"),
        ("1 2 3 4", "presets: greedy, code, balanced, creative"),
        ("Esc, F2", "close"),
    ]

    /// Keys of the prompt library browser (F4): its footer and the help overlay are built from this.
    public static let library: [(keys: String, help: String)] = [
        ("type", "filter"),
        ("↑ ↓", "select"),
        ("Enter", "open"),
        ("^N", "new prompt from a template"),
        ("^T", "duplicate"),
        ("^R", "rename"),
        ("Del ^X", "delete"),
        ("Esc F4", "close"),
    ]

    /// Keys of the exemplar editor's list: its footer and the help overlay are built from this.
    public static let exemplarEditor: [(keys: String, help: String)] = [
        ("↑ ↓", "select"),
        ("Space", "on/off"),
        ("e", "edit fields"),
        ("a", "add"),
        ("x", "delete"),
        ("[ ]", "move up/down"),
        ("p", "preview"),
        ("Tab", "query"),
        ("d", "dev set"),
        ("l", "ablate"),
        ("r", "results"),
        ("PgUp PgDn", "scroll"),
        ("s", "save"),
        ("m", "preferred model"),
        ("Esc", "back"),
        ("F4", "close"),
    ]

    /// Keys of the exemplar editor on a BIG-bench task, for the help overlay (the editor's line about
    /// the dev set names them, so the footer stays two rows).
    public static let bigBenchDevSet: [(keys: String, help: String)] = [
        ("+ -", "BIG-bench task: more or fewer of its other examples in the dev set (10, 20, 50 … all); the exemplars stay"),
    ]

    /// Key hints packed into rows of at most `width` columns, for a panel's footer.
    public static func footer(_ keys: [(keys: String, help: String)], width: Int) -> [String] {
        var rows: [String] = []
        var row = ""
        for (k, h) in keys {
            let item = "\(k) \(h)"
            if !row.isEmpty && DisplayWidth.of(row) + 2 + DisplayWidth.of(item) > width {
                rows.append(row)
                row = ""
            }
            row += (row.isEmpty ? "" : "  ") + item
        }
        if !row.isEmpty { rows.append(row) }
        return rows
    }
}
