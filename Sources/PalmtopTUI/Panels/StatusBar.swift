import Foundation

/// What the status bar reports, gathered by the app from the session and the last generation.
public struct StatusInfo: Equatable, Sendable {
    public var model: String
    public var architecture: String
    public var mode: ChatMode
    public var contextUsed: Int
    public var contextLimit: Int
    /// Prompt tokens of the last generation served from the KV cache, and computed.
    public var reused: Int?
    public var computed: Int?
    public var prefillRate: Double?
    public var decodeRate: Double?
    /// Share of draft tokens the model accepted in the last reply, when it drafted.
    public var draftAcceptance: Double?
    public var sampler: String
    /// Tokens made so far while a generation runs (nil when idle).
    public var generating: Int?

    public init(model: String, architecture: String, mode: ChatMode, contextUsed: Int, contextLimit: Int, reused: Int? = nil,
                computed: Int? = nil, prefillRate: Double? = nil, decodeRate: Double? = nil, sampler: String, generating: Int? = nil) {
        self.model = model
        self.architecture = architecture
        self.mode = mode
        self.contextUsed = contextUsed
        self.contextLimit = contextLimit
        self.reused = reused
        self.computed = computed
        self.prefillRate = prefillRate
        self.decodeRate = decodeRate
        self.sampler = sampler
        self.generating = generating
    }
}

/// One line: model, architecture, mode, context, prefix reuse, speeds and sampler. When the line is too
/// narrow the least important fields go first, so the model and the speeds survive at 80 columns.
public final class StatusBar: Panel {
    public var info: StatusInfo?

    public init() {}

    /// The fields that fit in `width`, in display order: (text, emphasised).
    public static func fields(_ info: StatusInfo, width: Int) -> [(text: String, accent: Bool)] {
        // (text, accent, priority: lower survives longer)
        var items: [(String, Bool, Int)] = [
            (info.model, true, 0),
            (info.architecture, false, 7),
            (info.mode.rawValue, false, 1),
            ("ctx \(info.contextUsed)/\(info.contextLimit)", false, 3),
        ]
        if let r = info.reused, let c = info.computed { items.append(("reused \(r) new \(c)", false, 5)) }
        var speed: [String] = []
        if let p = info.prefillRate, p > 0 { speed.append(String(format: "pp %.0f", p)) }
        if let d = info.decodeRate, d > 0 { speed.append(String(format: "tg %.1f", d)) }
        if !speed.isEmpty { items.append((speed.joined(separator: " ") + " tok/s", false, 2)) }
        if let a = info.draftAcceptance { items.append((String(format: "draft %.0f%%", a * 100), false, 4)) }
        items.append((info.sampler, false, 6))
        if let n = info.generating { items.append(("● generating \(n)", true, 1)) }
        func total(_ list: [(String, Bool, Int)]) -> Int {
            list.reduce(1) { $0 + DisplayWidth.of($1.0) } + max(list.count - 1, 0) * 3
        }
        while total(items) > width, let worst = items.indices.max(by: { items[$0].2 < items[$1].2 }), items.count > 1 {
            items.remove(at: worst)
        }
        return items.map { ($0.0, $0.1) }
    }

    public func draw(into canvas: Canvas, rect: Rect) {
        canvas.fill(Rect(row: rect.row, col: rect.col, width: rect.width, height: 1), role: .status)
        guard let info else { return }
        var col = rect.col + 1
        for (i, field) in Self.fields(info, width: rect.width).enumerated() {
            if i > 0 { col += canvas.put(" │ ", row: rect.row, col: col, role: .status, limit: rect.col + rect.width - col) }
            col += canvas.put(field.text, row: rect.row, col: col, role: field.accent ? .statusAccent : .status,
                              limit: rect.col + rect.width - col)
        }
    }
}

/// A one-line message for the status area: command results and errors.
public struct StatusMessage: Equatable, Sendable {
    /// How the message is coloured.
    public enum Kind: Sendable { case info, warning, error }
    public var text: String
    public var kind: Kind

    public init(_ text: String, _ kind: Kind = .info) {
        self.text = text
        self.kind = kind
    }

    var role: Role {
        switch kind {
        case .info: return .accent
        case .warning: return .warning
        case .error: return .error
        }
    }
}

/// The bottom line: the current message if there is one, otherwise key hints.
public final class HintBar: Panel {
    public var message: StatusMessage?
    public var hints: [(key: String, label: String)] = []

    public init() {}

    /// Hints for the global key table.
    public static var globalHints: [(key: String, label: String)] {
        KeyTable.global.compactMap { b in b.hint.map { (b.keys[0].label, $0) } } + [("PgUp/PgDn", "scroll")]
    }

    public func draw(into canvas: Canvas, rect: Rect) {
        canvas.fill(Rect(row: rect.row, col: rect.col, width: rect.width, height: 1))
        if let message {
            canvas.put(DisplayWidth.truncate(message.text, to: rect.width - 1), row: rect.row, col: rect.col + 1,
                       role: message.role, limit: rect.width - 1)
            return
        }
        var col = rect.col
        for hint in hints {
            let need = DisplayWidth.of(hint.key) + DisplayWidth.of(hint.label) + 2
            guard col + need <= rect.col + rect.width else { break }
            col += canvas.put(hint.key, row: rect.row, col: col, role: .hintKey, limit: rect.col + rect.width - col)
            col += canvas.put(" " + hint.label + " ", row: rect.row, col: col, role: .hint, limit: rect.col + rect.width - col)
        }
    }
}
