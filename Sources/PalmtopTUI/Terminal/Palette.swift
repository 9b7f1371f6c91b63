/// What a piece of text means on screen. Panels speak only in roles; the palette decides how each
/// looks, so a colour scheme or a monochrome terminal never needs a change in a panel.
public enum Role: Int, CaseIterable, Sendable {
    case text, dim, accent, title, border
    case user, assistant, notice
    case status, statusAccent, hint, hintKey
    case warning, error, selection, fork
    case probHigh, probMid, probLow
    case barRaw, barPost
}

/// The eight basic terminal colours, and the terminal's own default.
public enum TerminalColor: Int16, Sendable {
    case standard = -1, black = 0, red, green, yellow, blue, magenta, cyan, white
}

/// How a role looks: colours plus attributes.
public struct Style: Equatable, Sendable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var bold = false
    public var reverse = false
    public var underline = false
    public var dim = false

    public init(_ foreground: TerminalColor = .standard, on background: TerminalColor = .standard,
                bold: Bool = false, reverse: Bool = false, underline: Bool = false, dim: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
        self.dim = dim
    }
}

/// A role → style table. `colour` is the default scheme; `monochrome` is used when the terminal has no
/// colours or `NO_COLOR` is set, and tells roles apart with bold, dim, underline and reverse video.
public struct Palette: Sendable {
    public let name: String
    private let styles: [Style]

    public init(name: String, _ table: [Role: Style]) {
        self.name = name
        styles = Role.allCases.map { table[$0] ?? Style() }
    }

    public func style(_ role: Role) -> Style { styles[role.rawValue] }

    /// Whether the palette needs terminal colours (the monochrome one uses attributes only).
    public var usesColour: Bool { styles.contains { $0.foreground != .standard || $0.background != .standard } }

    public static let colour = Palette(name: "colour", [
        .dim: Style(dim: true), .accent: Style(.cyan, bold: true), .title: Style(.cyan, bold: true), .border: Style(.blue),
        .user: Style(.green, bold: true), .assistant: Style(.standard), .notice: Style(.yellow),
        .status: Style(.black, on: .cyan), .statusAccent: Style(.black, on: .cyan, bold: true),
        .hint: Style(.standard), .hintKey: Style(.black, on: .cyan),
        .warning: Style(.yellow, bold: true), .error: Style(.red, bold: true), .selection: Style(.black, on: .yellow),
        .fork: Style(.magenta, bold: true),
        .probHigh: Style(.green), .probMid: Style(.yellow), .probLow: Style(.red),
        .barRaw: Style(.blue), .barPost: Style(.green),
    ])

    public static let monochrome = Palette(name: "monochrome", [
        .dim: Style(dim: true), .accent: Style(bold: true), .title: Style(bold: true), .border: Style(dim: true),
        .user: Style(bold: true), .notice: Style(underline: true),
        .status: Style(reverse: true), .statusAccent: Style(bold: true, reverse: true),
        .hintKey: Style(reverse: true),
        .warning: Style(bold: true), .error: Style(bold: true, underline: true), .selection: Style(reverse: true),
        .fork: Style(bold: true, underline: true),
        .probHigh: Style(), .probMid: Style(underline: true), .probLow: Style(bold: true, underline: true),
        .barPost: Style(bold: true),
    ])

    /// The palette for a terminal: monochrome when it has no colours or the user set `NO_COLOR`
    /// (any non-empty value, per no-color.org).
    public static func choose(hasColors: Bool, environment: [String: String]) -> Palette {
        if let v = environment["NO_COLOR"], !v.isEmpty { return .monochrome }
        return hasColors ? .colour : .monochrome
    }
}
