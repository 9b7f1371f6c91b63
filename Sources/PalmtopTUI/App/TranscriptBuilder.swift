import Foundation
import PalmtopEngine

/// Turns the conversation into transcript blocks: headers, user text, responses coloured by role or by
/// token probability, fork marks, the inspector's selected token and stop notes.
struct TranscriptBuilder {
    var modelName: String
    var probabilities: Bool
    /// The inspector's cursor: (turn, token index).
    var inspected: (turn: Int, token: Int)?
    /// The turn being generated, which gets a streaming mark.
    var generating: Int?

    /// The blocks, and the tag to keep on screen (the inspected token's) as (block, tag).
    func build(_ conversation: Conversation) -> (blocks: [TranscriptBlock], focus: (block: Int, tag: Int)?) {
        var blocks: [TranscriptBlock] = []
        var focus: (Int, Int)?
        for (i, turn) in conversation.turns.enumerated() {
            switch turn.kind {
            case .user:
                let body: Role = turn.dropped ? .dim : .text
                blocks.append(TranscriptBlock(header("you", .user, dropped: turn.dropped) + TextLayout.styled(turn.text, body)))
            case .notice, .warning:
                blocks.append(TranscriptBlock(TextLayout.styled(turn.text, turn.kind == .warning ? .warning : .notice)))
            case .assistant:
                let cursor = inspected?.turn == i ? inspected?.token : nil
                let (chars, tag) = response(turn, cursor: cursor, streaming: generating == i)
                if let tag { focus = (blocks.count, tag) }
                blocks.append(TranscriptBlock(chars))
            }
        }
        return (blocks, focus)
    }

    private func header(_ name: String, _ role: Role, dropped: Bool, extra: String = "") -> [StyledChar] {
        TextLayout.styled("▌" + name, role) + TextLayout.styled(extra + (dropped ? "  (dropped from the context)" : "") + "\n", .dim)
    }

    /// A response's text. Tokens that release no text (the first bytes of a character split over
    /// several tokens) are grouped with the token that completes the character, and the group is
    /// coloured by their joint probability, so no broken UTF-8 ever reaches the screen.
    private func response(_ turn: Turn, cursor: Int?, streaming: Bool) -> ([StyledChar], Int?) {
        guard turn.branches.indices.contains(turn.current) else { return ([], nil) }
        let branch = turn.branches[turn.current]
        var extra = ""
        if turn.branches.count > 1 {
            extra = "  branch \(turn.current + 1)/\(turn.branches.count)" + (branch.forkAt.map { ", forked at token \($0 + 1)" } ?? "")
        }
        var out = header(modelName, .accent, dropped: turn.dropped, extra: extra)
        var focusTag: Int?
        var groupStart = 0
        var logprob: Float = 0
        for (k, token) in branch.tokens.enumerated() {
            if branch.forkAt == k && k > 0 { out += TextLayout.styled("⑂", .fork) }
            logprob += token.logprob
            guard !token.text.isEmpty else { continue }
            let selected = cursor.map { (groupStart...k).contains($0) } ?? false
            var role: Role = probabilities ? ProbabilityBand.of(exp(Double(logprob))).role : .assistant
            if turn.dropped { role = .dim }
            if selected { role = .selection; focusTag = k }
            out += TextLayout.styled(token.text, role, tag: k)
            groupStart = k + 1
            logprob = 0
        }
        // Tokens at the end that released no text (end of turn, a cut-off character): visible only
        // while the inspector sits on them.
        if let cursor, cursor >= groupStart, cursor < branch.tokens.count {
            out += TextLayout.styled("∎", .selection, tag: cursor)
            focusTag = cursor
        }
        out += TextLayout.styled(branch.tail, turn.dropped ? .dim : .assistant)
        if streaming { out += TextLayout.styled("▍", .accent) }
        switch branch.stopReason {
        case .cancelled?: out += TextLayout.styled(" [stopped]", .dim)
        case .maxTokens?: out += TextLayout.styled(" [max_tokens reached]", .dim)
        case .contextFull?: out += TextLayout.styled(" [context full]", .warning)
        case .interrupted?: out += TextLayout.styled(" [interrupted]", .warning)
        default: break
        }
        return (out, focusTag)
    }
}
