import PalmtopTokenizers

/// One message of a conversation.
public struct ChatMessage: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable { case system, user, assistant }
    public var role: Role
    public var content: String
    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// The chat formats of the default models, chosen by the special tokens a vocabulary has rather than by
/// evaluating the Jinja template stored in the file.
public enum ChatTemplate: String, Sendable {
    /// Gemma: `<start_of_turn>user\n…<end_of_turn>\n<start_of_turn>model\n`; no system role (it is
    /// prepended to the first user turn, as Gemma's own template does).
    case gemma
    /// ChatML (SmolLM2): `<|im_start|>role\n…<|im_end|>\n`.
    case chatML

    static func detect(tokenizer: Tokenizer) -> ChatTemplate? {
        if tokenizer.id(of: "<start_of_turn>") != nil { return .gemma }
        if tokenizer.id(of: "<|im_start|>") != nil { return .chatML }
        return nil
    }

    /// The prompt text for `messages`, ending where the assistant's reply begins.
    public func render(_ messages: [ChatMessage], defaultSystem: String? = nil) -> String {
        var out = ""
        switch self {
        case .gemma:
            var pendingSystem = messages.first { $0.role == .system }?.content
            for m in messages where m.role != .system {
                let role = m.role == .assistant ? "model" : "user"
                var content = m.content
                if m.role == .user, let s = pendingSystem { content = s + "\n\n" + content; pendingSystem = nil }
                out += "<start_of_turn>\(role)\n\(content)<end_of_turn>\n"
            }
            out += "<start_of_turn>model\n"
        case .chatML:
            if messages.first?.role != .system, let s = defaultSystem { out += "<|im_start|>system\n\(s)<|im_end|>\n" }
            for m in messages { out += "<|im_start|>\(m.role.rawValue)\n\(m.content)<|im_end|>\n" }
            out += "<|im_start|>assistant\n"
        }
        return out
    }

    /// SmolLM2's template adds this system turn when a conversation has none.
    public var defaultSystemPrompt: String? {
        self == .chatML ? "You are a helpful AI assistant named SmolLM, trained by Hugging Face" : nil
    }
}
