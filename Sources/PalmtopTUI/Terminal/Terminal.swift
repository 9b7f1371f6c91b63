import Foundation
import CNcursesw

/// The one owner of the terminal: only this type initialises and shuts down curses. `run` restores the
/// terminal on every way out of its body — return, thrown error, SIGTERM (the loop sees the flag and
/// returns), and crashes (the signal handlers call `endwin`).
public final class Terminal {
    public let palette: Palette
    public let canvas: CursesCanvas
    private var active = true

    /// Sets up curses, runs `body`, and restores the terminal however `body` ends.
    public static func run<T>(_ body: (Terminal) throws -> T) throws -> T {
        guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else { throw TerminalError.notATerminal }
        let terminal = try Terminal()
        defer { terminal.stop() }
        return try body(terminal)
    }

    private init() throws {
        // Wide characters need a UTF-8 locale before initscr; fall back to C.UTF-8 when the
        // environment names none (a bare `ssh host palmtop`).
        setlocale(LC_ALL, "")
        if let codeset = nl_langinfo(nl_item(CODESET)), String(cString: codeset) != "UTF-8" { setlocale(LC_CTYPE, "C.UTF-8") }
        guard initscr() != nil else { throw TerminalError("cannot initialise the terminal (is TERM set?)") }
        cbreak()
        noecho()
        nonl()
        keypad(stdscr, true)
        set_escdelay(25)
        wtimeout(stdscr, Terminal.pollMilliseconds)
        palette = Palette.choose(hasColors: has_colors(), environment: ProcessInfo.processInfo.environment)
        let colours = has_colors() && palette.usesColour
        if colours {
            start_color()
            use_default_colors()
        }
        canvas = CursesCanvas(palette: palette, colours: colours)
        // After initscr, so ours replace the handlers curses installs for SIGINT and SIGTERM.
        Signals.install()
        atexit { if isendwin() == false { endwin() } }
    }

    /// How long `readKey` waits for a key: short enough that streamed tokens repaint smoothly.
    static let pollMilliseconds: Int32 = 50

    /// The next key, waiting at most the poll interval (nil when none came).
    public func readKey(wait: Bool = true) -> Key? {
        wtimeout(stdscr, wait ? Terminal.pollMilliseconds : 0)
        var ch: wint_t = 0
        let r = wget_wch(stdscr, &ch)
        if r == KEY_CODE_YES { return KeyDecoder.decode(functionKey: Int32(ch)) }
        guard r == OK else { return nil }
        let key = KeyDecoder.decode(character: UInt32(ch))
        guard key == .escape else { return key }
        // Escape then another byte already waiting is Alt plus that key.
        wtimeout(stdscr, 0)
        var next: wint_t = 0
        let r2 = wget_wch(stdscr, &next)
        // Two Escapes in a row are two presses (close the edit, then the panel), not Alt-Escape.
        if r2 == OK && next == 27 { unget_wch(wchar_t(27)); return .escape }
        if r2 == OK, let k = KeyDecoder.decode(character: UInt32(next)) { return KeyDecoder.withAlt(k) }
        if r2 == KEY_CODE_YES, let k = KeyDecoder.decode(functionKey: Int32(next)) { return k }
        return .escape
    }

    /// Restores the terminal (idempotent).
    public func stop() {
        guard active else { return }
        active = false
        curs_set(1)
        endwin()
        Signals.uninstall()
    }
}

/// A terminal that cannot be used, printed as one line.
public struct TerminalError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }

    /// stdin or stdout is not a terminal (a pipe or a file).
    public static let notATerminal = TerminalError("the REPL needs a terminal; for scripts use `palmtop generate`")
}
