/// What handling a key did, for the one loop to act on.
public struct Effect: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The panel used the key (otherwise it falls through to the global key table).
    public static let handled = Effect(rawValue: 1 << 0)
    /// The screen must be drawn again.
    public static let redraw = Effect(rawValue: 1 << 1)
    /// Leave the program.
    public static let quit = Effect(rawValue: 1 << 2)
    /// An overlay asks to be closed.
    public static let close = Effect(rawValue: 1 << 3)
    /// The input editor has text to send.
    public static let submit = Effect(rawValue: 1 << 4)

    /// The usual answer of a panel that used a key and changed what it shows.
    public static let consumed: Effect = [.handled, .redraw]
}

/// A part of the screen: draws itself into a rectangle and answers keys with effects. Panels never
/// touch curses; they draw on a `Canvas`, so tests run them in memory.
public protocol Panel: AnyObject {
    func draw(into canvas: Canvas, rect: Rect)
    func handle(_ key: Key) -> Effect
}

extension Panel {
    /// Display-only panels (status and hint bars) ignore keys.
    public func handle(_ key: Key) -> Effect { [] }
}
