import Foundation
import PalmtopEngine

/// chat: turns rendered through the model's chat template; complete: the transcript is one document the
/// model continues, the way the PaLM paper drives a base model.
public enum ChatMode: String, Codable, Sendable, CaseIterable { case chat, complete }

/// One generated token as the transcript keeps it (and saves it): enough to colour it, inspect it and
/// branch from it.
public struct TokenRecord: Codable, Equatable, Sendable {
    public var id: Int
    /// The token's bytes (may be part of a UTF-8 character).
    public var bytes: [UInt8]
    /// Text released with this token: whole characters only, so it is "" for the first tokens of a
    /// character split over several.
    public var text: String
    public var logprob: Float
    /// nil where the backend could not say (a remote server has no post-sampler distribution).
    public var postLogprob: Float?
    public var entropy: Float?
    public var topRaw: [TokenAlternative]
    public var topPost: [TokenAlternative]?

    public init(_ e: TokenEvent) {
        self.init(id: e.id, bytes: e.bytes, text: e.text, logprob: e.logprob, postLogprob: e.postLogprob, entropy: e.entropy,
                  topRaw: e.topRaw, topPost: e.topPost)
    }

    public init(id: Int, bytes: [UInt8], text: String, logprob: Float, postLogprob: Float? = nil, entropy: Float? = nil,
                topRaw: [TokenAlternative] = [], topPost: [TokenAlternative]? = nil) {
        self.id = id
        self.bytes = bytes
        self.text = text
        self.logprob = logprob
        self.postLogprob = postLogprob
        self.entropy = entropy
        self.topRaw = topRaw
        self.topPost = topPost
    }
}

/// One version of a response. A branch made in the inspector copies its parent's tokens up to the fork
/// and continues differently from there.
public struct Branch: Codable, Equatable, Sendable {
    public var tokens: [TokenRecord] = []
    /// Text released after the last token event (the end of a held-back stop-sequence prefix or an
    /// incomplete character), which belongs to no single token.
    public var tail = ""
    /// The token index where this branch leaves `parent` (nil for a first response).
    public var forkAt: Int?
    public var parent: Int?
    public var stopReason: StopReason?

    public init(tokens: [TokenRecord] = [], forkAt: Int? = nil, parent: Int? = nil) {
        self.tokens = tokens
        self.forkAt = forkAt
        self.parent = parent
    }

    public var text: String { tokens.map(\.text).joined() + tail }
}

/// One entry of the transcript. Notices (command output, warnings) are shown but never sent to the model.
public struct Turn: Codable, Equatable, Sendable {
    /// Who wrote the entry: the user, the model, or the app (a notice or a warning).
    public enum Kind: String, Codable, Sendable { case user, assistant, notice, warning }
    public var kind: Kind
    /// The text of user turns and notices.
    public var text: String
    /// The versions of an assistant turn and which one is shown and continued.
    public var branches: [Branch]
    public var current: Int
    /// Left out of the prompt because the context filled up.
    public var dropped = false

    public init(kind: Kind, text: String = "", branches: [Branch] = [], current: Int = 0) {
        self.kind = kind
        self.text = text
        self.branches = branches
        self.current = current
    }

    /// What the model sees of this turn.
    public var content: String { kind == .assistant ? (branches.indices.contains(current) ? branches[current].text : "") : text }
    public var isDialogue: Bool { kind == .user || kind == .assistant }
}

/// The transcript, and how it becomes a prompt.
public struct Conversation: Codable, Equatable, Sendable {
    public var turns: [Turn] = []

    public init(turns: [Turn] = []) { self.turns = turns }

    public mutating func notice(_ text: String, warning: Bool = false) {
        turns.append(Turn(kind: warning ? .warning : .notice, text: text))
    }

    public var lastAssistantIndex: Int? { turns.lastIndex { $0.kind == .assistant } }

    /// The turns sent to the model for a response at `index`: the dialogue before it that still fits.
    public func promptTurns(before index: Int) -> [Turn] {
        turns[..<min(index, turns.count)].filter { $0.isDialogue && !$0.dropped }
    }

    /// The prompt for a response at `index`: chat turns in chat mode (the backend applies the
    /// template), the transcript as one text in completion mode.
    public func prompt(before index: Int, mode: ChatMode) -> BackendPrompt {
        let dialogue = promptTurns(before: index)
        if mode == .chat {
            return .chat(dialogue.map { ChatMessage(role: $0.kind == .user ? .user : .assistant, content: $0.content) })
        }
        return .text(dialogue.map(\.content).joined())
    }

    /// Marks the oldest dialogue turns before `index` as dropped (a user turn together with the reply
    /// that follows it) until `fits` accepts the prompt or only the newest user turn is left; returns
    /// how many turns were dropped.
    public mutating func dropOldest(before index: Int, until fits: (Conversation) -> Bool) -> Int {
        var dropped = 0
        while !fits(self) {
            let live = turns.indices.filter { $0 < index && turns[$0].isDialogue && !turns[$0].dropped }
            guard live.count > 1 else { break }
            turns[live[0]].dropped = true
            dropped += 1
            if live.count > 2, turns[live[1]].kind == .assistant {
                turns[live[1]].dropped = true
                dropped += 1
            }
        }
        return dropped
    }
}
