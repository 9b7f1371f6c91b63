import Foundation
import PalmtopEngine

/// The one loop: wait up to the poll interval for a key, hand keys to the app, drain the engine's
/// events, repaint when something changed. Only this thread touches curses; the engine thread only
/// pushes events, so streamed tokens repaint without locks around the screen.
final class ScreenLoop {
    private let terminal: Terminal
    private let app: ChatApp
    /// Keys handled before a repaint, so a paste does not redraw once per character.
    private static let keysPerFrame = 256

    init(terminal: Terminal, app: ChatApp) {
        self.terminal = terminal
        self.app = app
    }

    func run() {
        var dirty = true
        while !app.shouldQuit && !Signals.terminationRequested {
            if dirty {
                app.draw(into: terminal.canvas)
                terminal.canvas.present()
                dirty = false
            }
            if Signals.takeInterrupt() {
                app.interrupt()
                dirty = true
            }
            var wait = true
            for _ in 0..<Self.keysPerFrame {
                guard let key = terminal.readKey(wait: wait) else { break }
                wait = false
                let effect = app.handle(key)
                if effect.contains(.quit) { return }
                if !effect.isEmpty || key == .resize { dirty = true }
            }
            if app.pump() { dirty = true }
        }
        app.quit()
    }
}

/// The REPL's entry point for the `palmtop chat` command.
public enum ChatREPL {
    /// Opens the full-screen REPL on `model` and returns when the user quits (or SIGTERM arrives).
    /// The terminal is restored on every way out.
    public static func run(backend: ModelBackend, options: ChatOptions) throws {
        let app = ChatApp(backend: backend, options: options)
        try Terminal.run { terminal in
            ScreenLoop(terminal: terminal, app: app).run()
        }
    }
}
