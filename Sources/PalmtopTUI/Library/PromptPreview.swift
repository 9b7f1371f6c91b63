import PalmtopEngine
import PalmtopPrompts

/// The assembled prompt as the model will see it, each span coloured by where it came from
/// (instruction, exemplar k, query), with the source named in a gutter on the row where the span
/// starts: the colours tell neighbours apart, the gutter says which exemplar is which (and works in
/// monochrome).
enum PromptPreview {
    static let gutterWidth = 7

    static func role(_ source: SpanSource) -> Role {
        switch source {
        case .instruction: return .notice
        // Neighbouring exemplars alternate, so a boundary is visible even without the gutter.
        case .exemplar(let k): return k % 2 == 0 ? .user : .fork
        case .query: return .accent
        case .separator: return .dim
        case .template: return .text
        }
    }

    /// The gutter label of a span; separators have none.
    static func label(_ source: SpanSource) -> String? {
        switch source {
        case .instruction: return "instr"
        case .exemplar(let k): return "ex \(k + 1)"
        case .query: return "query"
        case .separator: return nil
        case .template: return "chat"
        }
    }

    /// One row naming the colours.
    static func legend() -> [StyledChar] {
        TextLayout.styled("assembled prompt — ", .dim) + TextLayout.styled("instruction", role(.instruction))
            + TextLayout.styled(" · ", .dim) + TextLayout.styled("exemplar 1", role(.exemplar(0)))
            + TextLayout.styled(" · ", .dim) + TextLayout.styled("exemplar 2", role(.exemplar(1)))
            + TextLayout.styled(" · ", .dim) + TextLayout.styled("query", role(.query))
            + TextLayout.styled("   (p hides)", .dim)
    }

    /// Rows of at most `width` columns, the gutter included.
    static func rows(_ rendered: RenderedPrompt, width: Int) -> [[StyledChar]] {
        var chars: [StyledChar] = []
        for (i, span) in rendered.spans.enumerated() {
            chars += TextLayout.styled(String(rendered.text[span.range]), role(span.source), tag: i)
        }
        var labelled = Set<Int>()
        return TextLayout.wrap(chars, width: max(width - gutterWidth, 1), words: true).map { row in
            var gutter = ""
            // Name the first span that starts on this row (a row may begin with a separator's newline).
            if let tag = row.map(\.tag).first(where: { !labelled.contains($0) && label(rendered.spans[$0].source) != nil }) {
                labelled.insert(tag)
                gutter = label(rendered.spans[tag].source) ?? ""
            }
            let padded = gutter + String(repeating: " ", count: gutterWidth - gutter.count)
            return TextLayout.styled(padded, .dim) + row
        }
    }
}
