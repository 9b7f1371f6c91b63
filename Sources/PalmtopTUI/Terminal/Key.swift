import CNcursesw

/// A key press, decoded from curses into what panels match on.
public enum Key: Hashable, Sendable {
    /// A printable character (any script).
    case char(Character)
    /// Ctrl plus a letter, lowercase (`.ctrl("a")` is Ctrl-A).
    case ctrl(Character)
    /// Alt (Meta) plus a printable character.
    case alt(Character)
    case enter, altEnter, tab, backTab, backspace, delete, escape
    case up, down, left, right, home, end, pageUp, pageDown, shiftUp, shiftDown
    case function(Int)
    case resize

    /// How the key is written in hints and help ("F1", "^D", "PgUp").
    public var label: String {
        switch self {
        case .char(let c): return String(c)
        case .ctrl(let c): return "^" + String(c).uppercased()
        case .alt(let c): return "Alt-" + String(c)
        case .enter: return "Enter"
        case .altEnter: return "Alt-Enter"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .backspace: return "Backspace"
        case .delete: return "Del"
        case .escape: return "Esc"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .shiftUp: return "Shift-↑"
        case .shiftDown: return "Shift-↓"
        case .function(let n): return "F\(n)"
        case .resize: return "resize"
        }
    }
}

/// Turns what `wget_wch` returns into a `Key`. Pure, so the mapping is tested without a terminal.
public enum KeyDecoder {
    /// A curses function-key code (`wget_wch` returned KEY_CODE_YES).
    public static func decode(functionKey code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_SR: return .shiftUp
        case KEY_SF: return .shiftDown
        case KEY_DC: return .delete
        case KEY_BACKSPACE: return .backspace
        case KEY_ENTER: return .enter
        case KEY_BTAB: return .backTab
        case KEY_RESIZE: return .resize
        case (KEY_F0 + 1)...(KEY_F0 + 24): return .function(Int(code - KEY_F0))
        default: return nil
        }
    }

    /// A character code. `nonl()` keeps Return (13) and Ctrl-J (10) apart, which is how Enter sends
    /// and Ctrl-J inserts a newline.
    public static func decode(character code: UInt32) -> Key? {
        switch code {
        case 13: return .enter
        case 9: return .tab
        case 8, 127: return .backspace
        case 27: return .escape
        case 1...26: return .ctrl(Character(Unicode.Scalar(code + 96)!))
        case 0, 28...31: return nil
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            return .char(Character(scalar))
        }
    }

    /// Escape followed quickly by another key is how terminals send Alt: Alt-Enter, Alt-x.
    public static func withAlt(_ key: Key) -> Key {
        switch key {
        case .enter, .ctrl("j"): return .altEnter
        case .char(let c): return .alt(c)
        default: return key
        }
    }
}
