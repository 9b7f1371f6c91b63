import Foundation
import PalmtopSampling

/// Where a model runs, as the REPL, the prompt library, `eval` and every command see it: in this
/// process (`LocalBackend`) or behind an OpenAI-compatible server (the `PalmtopRemote` module).
/// One instance is one sequence of calls with its own cache (a chat, a dev-set run); `makeSibling`
/// gives another on the same model. Calls other than `generate` and `cancel` block the calling
/// thread (a remote call does its HTTP there), so UIs call them from a worker thread.
public protocol ModelBackend: AnyObject, Sendable {
    /// The model's name ("gemma-3-270m", or the server's model id).
    var modelName: String { get }
    /// The architecture ("gemma3") or, for a server, what serves it ("llama.cpp server").
    var architecture: String { get }
    /// One line saying where the model runs ("in-process, gemma3, avx512bf16 kernels", "llama.cpp at http://…").
    var location: String { get }
    var capabilities: BackendCapabilities { get }
    /// Tokens a prompt plus its reply may hold.
    var contextLimit: Int { get }
    /// Whether chat prompts (`BackendPrompt.chat`) work: the model has a chat template, or the server applies one.
    var supportsChat: Bool { get }
    /// The chat template applied in this process (nil when there is none, or the server applies its own).
    var chatTemplate: ChatTemplate? { get }
    /// Tokens held in the cache after the last call, where the backend knows.
    var contextInUse: Int? { get }
    /// Prompt tokens served from the cache and computed over this sequence's life, where known.
    var tokenTotals: (reused: Int, computed: Int)? { get }

    /// The tokens a prompt runs as, where the backend can tell without a round trip (nil otherwise).
    func tokens(for prompt: BackendPrompt) -> [Int]?
    func tokenize(_ text: String, parseSpecial: Bool) throws -> [Int]
    func detokenize(_ tokens: [Int]) throws -> String
    /// Streams the reply's tokens; ends with `.finished`, or throws. Ending the iteration early (or
    /// `cancel()`) stops the generation: the stream then finishes with stop reason `cancelled`.
    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, Error>
    /// A reply to each request, up to `parallel` at a time (continuous batching in-process; concurrent
    /// requests to a server). `onToken(request, event)` sees each token (false ends that reply);
    /// `onFinished(request, summary)` each reply as it ends. Returns the summaries in request order.
    /// Live settings are not read here: a batch runs with the settings it started with.
    func generateBatch(_ requests: [GenerationRequest], parallel: Int, onToken: @escaping @Sendable (Int, TokenEvent) -> Bool,
                       onFinished: @escaping @Sendable (Int, GenerationSummary) -> Void) throws -> [GenerationSummary]
    /// Rank classification: each choice's summed log-probability given the prompt (special-token
    /// spellings parsed when `parseSpecial`; a server parses them as it does).
    func score(prompt: String, choices: [String], parseSpecial: Bool) throws -> [ChoiceScore]
    /// Each prompt token's log-probability given the tokens before it.
    func promptLogprobs(_ prompt: String, topN: Int) throws -> [PromptTokenScore]
    /// BIG-bench's rank classification: each continuation's summed log-probability given exactly the
    /// prompt's tokens, prompt and continuation tokenized apart (see `Session.scoreApart`). Throws the
    /// reason where `capabilities.scoringApart` is false.
    func scoreApart(prompt: String, continuations: [String]) throws -> [Double]
    /// Stops the running generation or scoring call (any thread).
    func cancel()
    /// Forgets the cache.
    func reset()
    /// Another independent sequence on the same model or server (its own cache).
    func makeSibling() -> ModelBackend
    /// Prompt-lookup drafting for greedy replies from the next one on, where the backend decodes itself
    /// (`capabilities.drafting`); a server decodes by itself, so there it does nothing.
    func setDraft(_ settings: DraftSettings)
}

/// What a backend can supply; the UI says "not available from this server" for what it cannot.
public struct BackendCapabilities: Sendable, Equatable {
    /// The model's raw top alternatives per generated token.
    public var rawTopLogprobs = true
    /// How many alternatives it returns at most.
    public var maxTopLogprobs = 20
    /// The distribution after the sampler chain (the inspector's second column).
    public var postSamplerDistribution = true
    /// The entropy of each token's distribution.
    public var entropy = true
    /// Continuing a reply from given tokens with a forced one (the inspector's branching).
    public var forcedTokens = true
    /// How many prompt tokens came from the cache.
    public var prefixReuseCounts = true
    /// Sampler settings changed mid-reply apply from the next token.
    public var liveSettings = true
    /// Token ids of generated tokens.
    public var tokenIDs = true
    /// Prompt log-probabilities (`score`, `--echo`, rank classification); when false, `scoringLimitation` says why.
    public var scoring = true
    public var scoringLimitation: String?
    /// Scoring a continuation tokenized apart from its prompt (BIG-bench's protocol): in-process, or a
    /// server that scores token ids sent to it and tokenizes text for Palmtop.
    public var scoringApart = true
    /// Why `scoringApart` is false, in one line.
    public var scoringApartLimitation: String {
        scoringLimitation ?? "this backend cannot score a choice tokenized apart from its prompt, as BIG-bench's multiple choice does (/backend local can)"
    }
    /// Drafting tokens for greedy replies (`setDraft`): an in-process engine decodes, a server does not.
    public var drafting = true
    /// Sampling settings (SamplingSettings coding keys) the backend ignores.
    public var ignoredSettings: Set<String> = []

    public init() {}

    /// Everything: the in-process engine.
    public static let inProcess = BackendCapabilities()
}

/// A prompt as the caller has it.
public enum BackendPrompt: Sendable, Equatable {
    /// Text continued as it is; `special`: spellings of special tokens (`<start_of_turn>`) become
    /// those tokens, as in a prompt given on the command line, not in what a user typed in the REPL.
    case text(String, special: Bool = false)
    /// Chat turns, to which the backend applies the chat template (the model's, or the server's).
    case chat([ChatMessage])
    /// Exact token ids.
    case tokens([Int])
}

/// One generation: the prompt, what the reply continues from, and the sampling.
public struct GenerationRequest: Sendable {
    public var prompt: BackendPrompt
    /// Tokens after the prompt that the reply continues (a branch's kept tokens).
    public var continuation: [Int]
    /// Tokens emitted first instead of sampling (the inspector's branch).
    public var forced: [Int]
    public var settings: SamplingSettings
    /// Settings read before every token, so a panel's changes apply mid-reply (where supported).
    public var live: LiveSettings?
    /// Alternatives per token in the events.
    public var topN: Int

    public init(prompt: BackendPrompt, settings: SamplingSettings, continuation: [Int] = [], forced: [Int] = [],
                live: LiveSettings? = nil, topN: Int = 10) {
        self.prompt = prompt
        self.settings = settings
        self.continuation = continuation
        self.forced = forced
        self.live = live
        self.topN = topN
    }
}

/// What a generation stream yields.
public enum GenerationEvent: Sendable {
    case token(TokenEvent)
    case finished(GenerationSummary)
}

/// A backend failure a user can act on, as one line.
public struct BackendError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ModelBackend {
    public func score(prompt: String, choices: [String]) throws -> [ChoiceScore] { try score(prompt: prompt, choices: choices, parseSpecial: true) }

    /// A backend that cannot score continuations tokenized apart says why.
    public func scoreApart(prompt: String, continuations: [String]) throws -> [Double] {
        throw BackendError(capabilities.scoringApartLimitation)
    }

    /// Runs a generation to its end on the calling thread, handing each token to `onToken` there
    /// (false stops it) — for the CLI, dev-set runs and UI worker threads.
    public func generate(_ request: GenerationRequest, onToken: (TokenEvent) -> Bool) throws -> GenerationSummary {
        let events = BlockingEventQueue<GenerationEvent>()
        let stream = generate(request)
        let task = Task {
            do {
                for try await event in stream { events.push(.success(event)) }
                events.finish(nil)
            } catch {
                events.finish(error)
            }
        }
        defer { task.cancel() }
        var stopped = false
        while let next = try events.pop() {
            switch next {
            case .token(let e):
                if !stopped && !onToken(e) { stopped = true; cancel() }
            case .finished(var summary):
                if stopped && summary.stopReason != .stop { summary.stopReason = .cancelled }
                return summary
            }
        }
        throw BackendError("the generation ended without a result")
    }
}

extension ModelBackend {
    /// Batches without a batched engine: one sibling sequence per lane, each on a thread of its own,
    /// taking the next request when its reply ends. A server batches concurrent requests itself.
    public func generateBatch(_ requests: [GenerationRequest], parallel: Int, onToken: @escaping @Sendable (Int, TokenEvent) -> Bool,
                              onFinished: @escaping @Sendable (Int, GenerationSummary) -> Void) throws -> [GenerationSummary] {
        let lanes = max(1, min(parallel, requests.count))
        let backends = [self] + (1..<max(lanes, 1)).map { _ in makeSibling() }
        let state = BatchLanes(count: requests.count)
        let group = DispatchGroup()
        for lane in 0..<lanes {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while let i = state.take() {
                    let result = Result { try backends[lane].generate(requests[i]) { e in state.serialized { onToken(i, e) } } }
                    state.finish(i, result)
                    if case .success(let summary) = result { state.serialized { onFinished(i, summary) } }
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        return try state.results()
    }
}

/// The shared state of `generateBatch`'s lanes: the next request to take, the results, and one lock
/// that also keeps the callers' callbacks from running at once. After a failure no lane takes more.
private final class BatchLanes: @unchecked Sendable {
    private let lock = NSLock()
    private let callbacks = NSLock()
    private var next = 0
    private var failed = false
    private var outcomes: [Result<GenerationSummary, Error>?]

    init(count: Int) { outcomes = Array(repeating: nil, count: count) }

    func take() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard !failed, next < outcomes.count else { return nil }
        next += 1
        return next - 1
    }

    func finish(_ i: Int, _ result: Result<GenerationSummary, Error>) {
        lock.lock(); defer { lock.unlock() }
        outcomes[i] = result
        if case .failure = result { failed = true }
    }

    func serialized<T>(_ body: () -> T) -> T {
        callbacks.lock(); defer { callbacks.unlock() }
        return body()
    }

    /// The summaries in request order, or the first failure (in request order).
    func results() throws -> [GenerationSummary] {
        try outcomes.map { outcome in
            guard let outcome else { throw BackendError("the batch stopped after a failed request") }
            return try outcome.get()
        }
    }
}

/// Hands values from a task to a waiting thread, in order.
final class BlockingEventQueue<T>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Result<T, Error>] = []
    private var done = false
    private var failure: Error?

    func push(_ item: Result<T, Error>) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    func finish(_ error: Error?) {
        condition.lock()
        done = true
        failure = error
        condition.signal()
        condition.unlock()
    }

    /// The next value, nil once finished; rethrows the producer's error after its values.
    func pop() throws -> T? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !done { condition.wait() }
        if !items.isEmpty { return try items.removeFirst().get() }
        if let failure { throw failure }
        return nil
    }
}

extension ModelBackend {
    /// Backends that do not decode themselves (servers) have no drafting to set.
    public func setDraft(_ settings: DraftSettings) {}
}
