import Foundation
import PalmtopEngine
import PalmtopSampling

/// A model behind an OpenAI-compatible server (vLLM, SGLang, llama.cpp's llama-server, …) as a
/// `ModelBackend`: chat and completion streaming over server-sent events with log-probabilities,
/// sampling settings under each server's own names, tokenization through the server, and scoring by
/// `echo` where the server can. The server keeps no per-sequence state Palmtop can see, so siblings
/// are cheap and `reset` has nothing to forget.
public final class RemoteBackend: ModelBackend, @unchecked Sendable {
    public let server: ServerKind
    public let modelName: String
    public let contextLimit: Int
    /// Every model the server offers.
    public let models: [String]
    let http: RemoteHTTP
    private let lock = NSLock()
    private var running: Task<Void, Never>?

    /// The server's models, without choosing one (`palmtop models --backend URL`).
    public static func listModels(url: String, apiKey: String?, timeout: Double = 300) throws -> [(id: String, ownedBy: String?)] {
        let http = RemoteHTTP(base: url, apiKey: apiKey, timeout: timeout)
        let data = try blocking { try await http.send("/v1/models", method: .GET, idempotent: true) }
        return try decode(ModelList.self, data, what: "the model list", base: http.base).data.map { ($0.id, $0.owned_by) }
    }

    /// Connects: asks the server for its models (picking `model`, or the first), what kind of server
    /// it is and its context length. Throws one line when the server cannot be reached or lacks the model.
    public static func connect(url: String, model: String? = nil, apiKey: String? = nil, timeout: Double = 300,
                               contextLimit: Int? = nil) throws -> RemoteBackend {
        let http = RemoteHTTP(base: url, apiKey: apiKey, timeout: timeout)
        let data = try blocking { try await http.send("/v1/models", method: .GET, idempotent: true) }
        let list = try decode(ModelList.self, data, what: "the model list", base: http.base)
        guard let chosen = model.map({ m in list.data.first { $0.id == m } }) ?? list.data.first else {
            let names = list.data.map(\.id).joined(separator: ", ")
            throw BackendError(model.map { "\(http.base) has no model '\($0)' (it serves: \(names.isEmpty ? "none" : names))" } ?? "\(http.base) serves no model")
        }
        let server = ServerKind.detect(ownedBy: chosen.owned_by)
        var context = chosen.max_model_len
        if context == nil, server == .llamaCpp, let props = try? blocking({ try await http.send("/props", method: .GET, idempotent: true) }),
           let value = try? JSONDecoder().decode(JSONValue.self, from: props) {
            context = value["default_generation_settings"]?["n_ctx"]?.int ?? value["n_ctx"]?.int
        }
        return RemoteBackend(http: http, server: server, model: chosen.id, models: list.data.map(\.id),
                             contextLimit: min(contextLimit ?? Int.max, context ?? contextLimit ?? 4096))
    }

    init(http: RemoteHTTP, server: ServerKind, model: String, models: [String], contextLimit: Int) {
        self.http = http
        self.server = server
        modelName = model
        self.models = models
        self.contextLimit = contextLimit
    }

    public var architecture: String { server.rawValue }
    public var location: String { "\(server.rawValue) at \(http.base)" }
    public var supportsChat: Bool { true }
    public var chatTemplate: ChatTemplate? { nil }
    public var contextInUse: Int? { nil }
    public var tokenTotals: (reused: Int, computed: Int)? { nil }

    public var capabilities: BackendCapabilities {
        var c = BackendCapabilities()
        c.maxTopLogprobs = server.maxTopLogprobs
        c.postSamplerDistribution = false
        c.entropy = false
        c.forcedTokens = false
        c.prefixReuseCounts = false
        c.liveSettings = false
        c.drafting = false
        c.tokenIDs = server == .llamaCpp || server == .vllm || server == .sglang
        c.scoring = server.canScore
        c.scoringLimitation = server.scoringLimitation
        // A server that scores scores the ids it is sent (and each has a tokenize endpoint), so
        // BIG-bench's tokenized-apart ids go to it as they are.
        c.scoringApart = server.canScore
        c.ignoredSettings = server.ignoredSettings
        return c
    }

    public func tokens(for prompt: BackendPrompt) -> [Int]? {
        if case .tokens(let ids) = prompt { return ids }
        return nil
    }

    public func tokenize(_ text: String, parseSpecial: Bool) throws -> [Int] {
        guard let path = server.tokenizePath else { throw BackendError("\(location) has no tokenize endpoint") }
        // Each server names the text its own way (llama-cpp-python's `TokenizeInputRequest` has `input`);
        // only llama.cpp can be told not to parse special-token spellings.
        let body: [String: JSONValue]
        switch server {
        case .llamaCpp: body = ["content": .string(text), "add_special": .bool(true), "parse_special": .bool(parseSpecial)]
        case .llamaCppPython: body = ["input": .string(text), "model": .string(modelName)]
        default: body = ["prompt": .string(text), "model": .string(modelName)]
        }
        let data = try Self.blocking { [http] in try await http.send(path, json: try JSONEncoder().encode(body), idempotent: true) }
        let value = try Self.decode(JSONValue.self, data, what: "tokenize", base: http.base)
        guard case .array(let items)? = value["tokens"] else { throw BackendError("\(location) sent tokens in a shape Palmtop does not know") }
        // llama.cpp may send [{"id", "piece"}] entries when asked for pieces; plain ids otherwise.
        return items.compactMap { $0.int ?? $0["id"]?.int }
    }

    public func detokenize(_ tokens: [Int]) throws -> String {
        guard server == .llamaCpp || server == .vllm else { throw BackendError("\(location) has no detokenize endpoint") }
        let body: [String: JSONValue] = ["tokens": .array(tokens.map { .number(Double($0)) }), "model": .string(modelName)]
        let data = try Self.blocking { [http] in try await http.send("/detokenize", json: try JSONEncoder().encode(body), idempotent: true) }
        let value = try Self.decode(JSONValue.self, data, what: "detokenize", base: http.base)
        return value["content"]?.string ?? value["prompt"]?.string ?? ""
    }

    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        let task = Task { [self] in
            do {
                let summary = try await RemoteGeneration(backend: self, request: request).run { continuation.yield(.token($0)) }
                continuation.yield(.finished(summary))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { reason in
            if case .cancelled = reason { task.cancel() }
        }
        lock.lock()
        running = task
        lock.unlock()
        return stream
    }

    public func score(prompt: String, choices: [String], parseSpecial: Bool) throws -> [ChoiceScore] {
        if let why = server.scoringLimitation { throw BackendError(why) }
        return try Self.blocking { [self] in try await RemoteScoring(backend: self).score(prompt: prompt, choices: choices) }
    }

    public func scoreApart(prompt: String, continuations: [String]) throws -> [Double] {
        if let why = server.scoringLimitation { throw BackendError(why) }
        return try Self.blocking { [self] in try await RemoteScoring(backend: self).scoreApart(prompt: prompt, continuations: continuations) }
    }

    public func promptLogprobs(_ prompt: String, topN: Int) throws -> [PromptTokenScore] {
        if let why = server.scoringLimitation { throw BackendError(why) }
        return try Self.blocking { [self] in try await RemoteScoring(backend: self).promptLogprobs(prompt, topN: topN) }
    }

    /// Closes the running stream: the server stops generating when the connection goes.
    public func cancel() {
        lock.lock()
        let task = running
        lock.unlock()
        task?.cancel()
    }

    public func reset() {}

    public func makeSibling() -> ModelBackend {
        RemoteBackend(http: http, server: server, model: modelName, models: models, contextLimit: contextLimit)
    }

    /// Runs async work to its end on the calling thread (never a concurrency-pool thread: callers are
    /// the CLI's main thread and UI worker threads).
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task {
            do { box.result = .success(try await work()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String, base: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            let head = String(decoding: data.prefix(80), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
            throw BackendError("\(base) sent malformed JSON for \(what) (\(head.isEmpty ? "an empty body" : "\"\(head)\""))")
        }
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
