import Foundation
import PalmtopEngine

/// Where a span of the assembled prompt came from, so the editor can mark each part.
public enum SpanSource: Sendable, Equatable {
    case instruction, exemplar(Int), separator, query, template
}

/// The assembled prompt and its spans (ranges in `text`, in order).
public struct RenderedPrompt: Sendable {
    public var text: String
    public var spans: [(source: SpanSource, range: Range<String.Index>)]
}

extension PromptFile {
    public var enabledExemplars: [Exemplar] { exemplars.filter(\.enabled) }

    /// Fills `{name}` placeholders in one pass over the template, so a value that itself holds a
    /// placeholder's spelling (code in a BIG-bench input, say) is never filled in again.
    static func fill(_ template: String, _ fields: [String: String]) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(of: "}"), let value = fields[String(rest[afterOpen..<close])] {
                out += value
                rest = rest[rest.index(after: close)...]
            } else {
                out += "{"
                rest = rest[afterOpen...]
            }
        }
        return out + rest
    }

    /// A chat-mode prompt as turns: the instruction as the system turn, each exemplar as a user turn
    /// and its output as the reply, then the query.
    public func chatMessages(query input: String) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        if let instruction { messages.append(ChatMessage(role: .system, content: instruction)) }
        for e in enabledExemplars {
            messages.append(ChatMessage(role: .user, content: Self.fill(template, e.fields)))
            messages.append(ChatMessage(role: .assistant, content: e.fields["output"] ?? ""))
        }
        messages.append(ChatMessage(role: .user, content: Self.fill(query, ["input": input])))
        return messages
    }

    /// The prompt for a query as a backend takes it: chat turns in chat mode where the backend can
    /// template them, otherwise the plain text.
    public func backendPrompt(query input: String, on backend: ModelBackend) -> BackendPrompt {
        mode == .chat && backend.supportsChat ? .chat(chatMessages(query: input)) : .text(render(query: input))
    }

    /// The prompt text for a query (complete mode, or chat mode through `chatTemplate`).
    public func render(query input: String, chatTemplate: ChatTemplate? = nil) -> String {
        renderWithSpans(query: input, chatTemplate: chatTemplate).text
    }

    public func renderWithSpans(query input: String, chatTemplate: ChatTemplate? = nil) -> RenderedPrompt {
        var text = ""
        var spans: [(SpanSource, Range<String.Index>)] = []
        func add(_ s: String, _ source: SpanSource) {
            let start = text.endIndex
            text += s
            spans.append((source, start..<text.endIndex))
        }
        if mode == .chat, let chatTemplate {
            add(chatTemplate.render(chatMessages(query: input), defaultSystem: chatTemplate.defaultSystemPrompt), .template)
            return RenderedPrompt(text: text, spans: spans)
        }
        if let instruction {
            add(instruction, .instruction)
            add(instructionSeparator ?? separator, .separator)
        }
        for (i, e) in exemplars.enumerated() where e.enabled {
            add(Self.fill(template, e.fields), .exemplar(i))
            add(separator, .separator)
        }
        add(Self.fill(query, ["input": input]), .query)
        return RenderedPrompt(text: text, spans: spans)
    }

    /// The continuation text scored for a choice in rank classification.
    public func choiceText(_ choice: String) -> String { Self.fill(choiceTemplate, ["choice": choice]) }
}

extension AnswerExtractor {
    /// The answer in generated text, or nil when there is none.
    public func extract(_ text: String) -> String? {
        switch self {
        case .firstLine:
            return text.split(separator: "\n", omittingEmptySubsequences: true)
                .map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        case .lastNumber:
            let re = try! NSRegularExpression(pattern: "-?[0-9][0-9,]*(\\.[0-9]+)?")
            let ns = text as NSString
            guard let m = re.matches(in: text, range: NSRange(location: 0, length: ns.length)).last else { return nil }
            var s = ns.substring(with: m.range).replacingOccurrences(of: ",", with: "")
            if s.hasSuffix(".") { s.removeLast() }
            return s
        case .regex(let pattern):
            guard let re = try? NSRegularExpression(pattern: pattern) else { return nil }
            let ns = text as NSString
            guard let m = re.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)) else { return nil }
            let r = m.numberOfRanges > 1 ? m.range(at: 1) : m.range
            return r.location == NSNotFound ? nil : ns.substring(with: r)
        }
    }

    /// Exact-match comparison: trimmed, lowercased, one trailing period dropped.
    public static func normalize(_ s: String) -> String {
        var t = s.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if t.hasSuffix(".") { t.removeLast() }
        return t.trimmingCharacters(in: .whitespaces)
    }
}
