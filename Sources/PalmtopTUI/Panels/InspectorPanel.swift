import Foundation
import PalmtopEngine

/// F3: walks the last response token by token. Shows the token's id, text, probability, log-probability
/// and the entropy of the distribution, and the top alternatives as bars, raw and post-sampler side by
/// side. Enter on an alternative branches there; [ and ] switch between the response's branches.
public final class InspectorPanel: Panel {
    /// What the inspector looks at: the response's tokens, and which branch of how many it is.
    public struct Subject {
        public var tokens: [TokenRecord]
        public var branch: Int
        public var branchCount: Int
        public var forkAt: Int?

        public init(tokens: [TokenRecord], branch: Int = 0, branchCount: Int = 1, forkAt: Int? = nil) {
            self.tokens = tokens
            self.branch = branch
            self.branchCount = branchCount
            self.forkAt = forkAt
        }
    }

    private let subject: () -> Subject
    /// Called with (token index, alternative token id) when the user branches.
    private let onBranch: (Int, Int) -> Void
    /// Called with -1 or +1 to show another branch.
    private let onCycle: (Int) -> Void
    public private(set) var cursor = 0
    public private(set) var alternative = 0
    /// Rows the inspector wants: a header, column titles, ten alternatives and a footer.
    public static let height = 14
    /// The hint bar while the inspector is open.
    public static let hints: [(key: String, label: String)] = [
        ("←→", "token"), ("↑↓", "alternative"), ("Enter", "branch"), ("[ ]", "other branch"), ("F5", "probs"), ("Esc", "close"),
    ]

    public init(subject: @escaping () -> Subject, onBranch: @escaping (Int, Int) -> Void, onCycle: @escaping (Int) -> Void) {
        self.subject = subject
        self.onBranch = onBranch
        self.onCycle = onCycle
    }

    public func handle(_ key: Key) -> Effect {
        let tokens = subject().tokens
        switch key {
        case .escape, .function(3): return [.handled, .redraw, .close]
        case .left: cursor = max(cursor - 1, 0); alternative = 0
        case .right: cursor = min(cursor + 1, max(tokens.count - 1, 0)); alternative = 0
        case .home: cursor = 0; alternative = 0
        case .end: cursor = max(tokens.count - 1, 0); alternative = 0
        case .up: alternative = max(alternative - 1, 0)
        case .down:
            let count = tokens.indices.contains(cursor) ? tokens[cursor].topRaw.count : 0
            alternative = min(alternative + 1, max(count - 1, 0))
        case .enter:
            guard tokens.indices.contains(cursor), tokens[cursor].topRaw.indices.contains(alternative) else { return [.handled] }
            onBranch(cursor, tokens[cursor].topRaw[alternative].id)
        case .char("["): onCycle(-1); clamp()
        case .char("]"): onCycle(1); clamp()
        default: return []
        }
        return .consumed
    }

    /// Moves the cursor to a token (after a branch, to the fork, whose token is still being made).
    public func select(token: Int) {
        cursor = max(token, 0)
        alternative = 0
    }

    private func clamp() { cursor = min(cursor, max(subject().tokens.count - 1, 0)) }

    public func draw(into canvas: Canvas, rect: Rect) {
        let s = subject()
        canvas.fill(rect)
        canvas.put(String(repeating: "─", count: rect.width), row: rect.row, col: rect.col, role: .border, limit: rect.width)
        var title = " Token inspector "
        if s.branchCount > 1 { title += "· branch \(s.branch + 1)/\(s.branchCount)" + (s.forkAt.map { ", forked at token \($0 + 1) " } ?? " ") }
        canvas.put(title, row: rect.row, col: rect.col + 2, role: .title, limit: rect.width - 2)
        guard s.tokens.indices.contains(cursor) else {
            canvas.put(s.tokens.isEmpty ? "No tokens to inspect yet: send a message first." : "Generating…",
                       row: rect.row + 1, col: rect.col + 1, role: .dim)
            return
        }
        let t = s.tokens[cursor]
        let id = t.id >= 0 ? "\(t.id)" : "n/a"
        let post = t.postLogprob.map { String(format: "%.3f", exp(Double($0))) } ?? "n/a"
        let entropy = t.entropy.map { String(format: "%.2f nats", Double($0)) } ?? "n/a"
        let head = String(format: "token %d/%d  id %@  %@  p %.3f  logp %.3f  post p %@  entropy %@",
                          cursor + 1, s.tokens.count, id, TokenLabel.of(bytes: t.bytes), exp(Double(t.logprob)),
                          Double(t.logprob), post, entropy)
        canvas.put(head, row: rect.row + 1, col: rect.col + 1, role: .text, limit: rect.width - 2)
        let labelWidth = 18
        let barWidth = max((rect.width - labelWidth - 2 - 2 * 7 - 2) / 2, 4)
        let rawCol = rect.col + 2 + labelWidth, postCol = rawCol + barWidth + 7 + 2
        canvas.put("alternative", row: rect.row + 2, col: rect.col + 2, role: .dim, limit: labelWidth)
        canvas.put("raw model p", row: rect.row + 2, col: rawCol, role: .dim, limit: barWidth)
        canvas.put(t.topPost == nil ? "after samplers: n/a" : "after samplers", row: rect.row + 2, col: postCol, role: .dim, limit: barWidth + 7)
        if t.topRaw.isEmpty {
            canvas.put("alternatives: not available from this server", row: rect.row + 3, col: rect.col + 2, role: .dim, limit: rect.width - 4)
        }
        for (i, alt) in t.topRaw.prefix(10).enumerated() {
            let r = rect.row + 3 + i
            guard r < rect.bottom - 1 else { break }
            let isSelected = i == alternative
            if isSelected { canvas.fill(Rect(row: r, col: rect.col, width: rect.width, height: 1), role: .selection) }
            let marker = alt.id == t.id ? "•" : " "
            canvas.put(marker, row: r, col: rect.col + 1, role: isSelected ? .selection : .accent, limit: 1)
            canvas.put(TokenLabel.quoted(alt.text), row: r, col: rect.col + 2, role: isSelected ? .selection : .text, limit: labelWidth - 1)
            let raw = exp(Double(alt.logprob))
            let post = t.topPost?.first { $0.id == alt.id }.map { exp(Double($0.logprob)) }
            canvas.put(Bar.render(raw, width: barWidth), row: r, col: rawCol, role: isSelected ? .selection : .barRaw, limit: barWidth)
            canvas.put(String(format: " %.3f", raw), row: r, col: rawCol + barWidth, role: isSelected ? .selection : .text, limit: 7)
            guard t.topPost != nil else { continue }
            canvas.put(Bar.render(post ?? 0, width: barWidth), row: r, col: postCol, role: isSelected ? .selection : .barPost, limit: barWidth)
            canvas.put(post.map { String(format: " %.3f", $0) } ?? "   cut", row: r, col: postCol + barWidth,
                       role: isSelected ? .selection : (post == nil ? .dim : .text), limit: 7)
        }
        let footer = t.topPost == nil ? "• chosen token   bars: raw probability; after the samplers: not available from this server"
            : "• chosen token   bars: raw probability | after the sampler chain (cut: filtered out)"
        canvas.put(footer, row: rect.bottom - 1, col: rect.col + 1, role: .dim, limit: rect.width - 2)
    }
}
