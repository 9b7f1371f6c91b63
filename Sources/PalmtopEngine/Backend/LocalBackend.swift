import Foundation

/// The in-process engine behind the backend interface: a model (immutable weights, shared by every
/// sibling) and this sequence's session (its KV cache with prefix reuse).
public final class LocalBackend: ModelBackend, @unchecked Sendable {
    public let model: Model
    let session: Session
    /// The batched engine for `generateBatch`: its own caches, so a batch leaves the session's alone.
    private let batcher: BatchGenerator

    public init(model: Model, contextLimit: Int? = nil, prefill: PrefillPrecision = .fast) {
        self.model = model
        session = Session(model: model, contextLimit: contextLimit, prefill: prefill)
        batcher = BatchGenerator(model: model, contextLimit: contextLimit, prefill: prefill)
    }

    public var modelName: String { model.name }
    public var architecture: String { model.config.architecture }
    public var location: String { "in-process · \(model.config.architecture) · \(KernelPath.current) kernels" }
    public var capabilities: BackendCapabilities { .inProcess }
    public var contextLimit: Int { session.contextLimit }
    public var supportsChat: Bool { model.chatTemplate != nil }
    public var chatTemplate: ChatTemplate? { model.chatTemplate }
    public var contextInUse: Int? { session.cachedTokens.count }
    public var tokenTotals: (reused: Int, computed: Int)? {
        (session.totalReused + batcher.totalReused, session.totalComputed + batcher.totalComputed)
    }
    public var prefillPrecision: PrefillPrecision {
        get { session.prefillPrecision }
        set { session.prefillPrecision = newValue; batcher.prefillPrecision = newValue }
    }
    /// Drafting for greedy replies (prompt lookup unless switched off); set it between generations.
    public var draft: DraftSettings {
        get { session.draft }
        set { session.draft = newValue }
    }

    public func tokens(for prompt: BackendPrompt) -> [Int]? {
        switch prompt {
        case .text(let text, let special): return text.isEmpty ? [] : model.encode(text, parseSpecial: special)
        case .chat(let messages):
            guard let template = model.chatTemplate else { return nil }
            return model.encode(template.render(messages, defaultSystem: template.defaultSystemPrompt), parseSpecial: true)
        case .tokens(let ids): return ids
        }
    }

    public func tokenize(_ text: String, parseSpecial: Bool) throws -> [Int] { model.encode(text, parseSpecial: parseSpecial) }

    public func detokenize(_ tokens: [Int]) throws -> String { model.tokenizer.decode(tokens, special: true) }

    /// Runs the session on a thread of its own and streams its events; ending the iteration early
    /// cancels the session, which stops after the current token.
    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, Error> {
        let session = self.session
        guard let prompt = tokens(for: request.prompt) else {
            return AsyncThrowingStream { $0.finish(throwing: BackendError("\(model.name) has no chat template; use completion mode")) }
        }
        return AsyncThrowingStream { continuation in
            continuation.onTermination = { reason in
                if case .cancelled = reason { session.cancel() }
            }
            let thread = Thread {
                do {
                    let summary = try session.generate(prompt: prompt + request.continuation, settings: request.settings, live: request.live,
                                                       topN: request.topN, forced: request.forced) { event in
                        if case .terminated = continuation.yield(.token(event)) { return false }
                        return true
                    }
                    continuation.yield(.finished(summary))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Continuous batching in this process (see `BatchGenerator`).
    public func generateBatch(_ requests: [GenerationRequest], parallel: Int, onToken: @escaping @Sendable (Int, TokenEvent) -> Bool,
                              onFinished: @escaping @Sendable (Int, GenerationSummary) -> Void) throws -> [GenerationSummary] {
        let jobs = try requests.map { r -> BatchJob in
            guard let prompt = tokens(for: r.prompt) else { throw BackendError("\(model.name) has no chat template; use completion mode") }
            return BatchJob(prompt: prompt + r.continuation, settings: r.settings, forced: r.forced, topN: r.topN)
        }
        return try batcher.run(jobs, parallel: parallel, onToken: onToken, onFinished: onFinished)
    }

    public func score(prompt: String, choices: [String], parseSpecial: Bool) throws -> [ChoiceScore] {
        try session.score(prompt: prompt, choices: choices, parseSpecial: parseSpecial)
    }

    public func promptLogprobs(_ prompt: String, topN: Int) throws -> [PromptTokenScore] {
        try session.promptLogprobs(model.encode(prompt), topN: topN)
    }

    public func scoreApart(prompt: String, continuations: [String]) throws -> [Double] {
        try session.scoreApart(prompt: prompt, continuations: continuations)
    }

    public func cancel() { session.cancel(); batcher.cancel() }
    public func reset() { session.reset() }

    public func setDraft(_ settings: DraftSettings) { draft = settings }

    public func makeSibling() -> ModelBackend {
        let sibling = LocalBackend(model: model, contextLimit: contextLimit, prefill: prefillPrecision)
        sibling.draft = draft
        return sibling
    }
}
