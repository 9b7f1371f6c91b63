import PalmtopSampling

/// A token and its log-probability, for alternatives lists.
public struct TokenAlternative: Codable, Sendable, Equatable {
    public var id: Int
    public var text: String
    public var logprob: Float

    public init(id: Int, text: String, logprob: Float) {
        self.id = id
        self.text = text
        self.logprob = logprob
    }
}

/// Everything known about one generated token: what the inspector shows and the CLI prints. The
/// optional fields are those a remote server may not supply (nil, never a made-up zero).
public struct TokenEvent: Sendable {
    public var id: Int
    /// The token's bytes in decoded text (may be part of a UTF-8 character).
    public var bytes: [UInt8]
    /// Text released to the user with this token: complete characters only, stop sequences held back.
    public var text: String
    /// Log-probability under the model's raw distribution and under the post-sampler distribution.
    public var logprob: Float
    public var postLogprob: Float?
    /// Best alternatives, best first, under both distributions.
    public var topRaw: [TokenAlternative]
    public var topPost: [TokenAlternative]?
    /// Entropy of the raw distribution, in nats.
    public var entropy: Float?
    /// Position of the token in the context (for a server: in the reply).
    public var position: Int

    public init(id: Int, bytes: [UInt8], text: String, logprob: Float, postLogprob: Float?, topRaw: [TokenAlternative],
                topPost: [TokenAlternative]?, entropy: Float?, position: Int) {
        self.id = id
        self.bytes = bytes
        self.text = text
        self.logprob = logprob
        self.postLogprob = postLogprob
        self.topRaw = topRaw
        self.topPost = topPost
        self.entropy = entropy
        self.position = position
    }
}

/// Why a generation ended.
public enum StopReason: String, Codable, Sendable {
    case eos, maxTokens = "max_tokens", stop, cancelled, contextFull = "context_full"
    /// The backend failed mid-reply (a server that stopped): what came before is kept.
    case interrupted
}

/// Counts and speeds of one generation.
public struct GenerationSummary: Sendable {
    public var stopReason: StopReason
    public var promptTokens: Int
    public var reusedTokens: Int
    public var computedTokens: Int
    public var generatedTokens: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    public var text: String
    /// What drafting did, when the generation drafted (greedy, in-process); nil otherwise.
    public var draft: DraftStats?

    public init(stopReason: StopReason, promptTokens: Int, reusedTokens: Int, computedTokens: Int, generatedTokens: Int,
                prefillSeconds: Double, decodeSeconds: Double, text: String, draft: DraftStats? = nil) {
        self.stopReason = stopReason
        self.promptTokens = promptTokens
        self.reusedTokens = reusedTokens
        self.computedTokens = computedTokens
        self.generatedTokens = generatedTokens
        self.prefillSeconds = prefillSeconds
        self.decodeSeconds = decodeSeconds
        self.text = text
        self.draft = draft
    }

    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(computedTokens) / prefillSeconds : 0 }
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(max(generatedTokens - 1, 0)) / decodeSeconds : 0 }
}

/// Engine errors a user can cause; each prints as one line.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case emptyPrompt
    case promptTooLong(tokens: Int, limit: Int)
    case invalidSettings(String)
    case cancelled

    public var description: String {
        switch self {
        case .emptyPrompt: return "the prompt is empty"
        case .promptTooLong(let n, let limit): return "the prompt has \(n) tokens but the context holds \(limit) (raise --ctx or shorten the prompt)"
        case .invalidSettings(let m): return "invalid sampling settings: \(m)"
        case .cancelled: return "cancelled"
        }
    }
}
