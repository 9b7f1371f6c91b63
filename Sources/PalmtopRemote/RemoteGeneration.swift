import AsyncHTTPClient
import Foundation
import PalmtopEngine
import PalmtopSampling

/// One streamed generation against a server: the request body in the server's own parameter names,
/// then its server-sent events turned into token events. Chat mode goes to `/v1/chat/completions`
/// (the server applies its chat template); text and token prompts to `/v1/completions`.
struct RemoteGeneration {
    let backend: RemoteBackend
    let request: GenerationRequest

    var server: ServerKind { backend.server }

    /// The path and JSON body.
    func body() throws -> (path: String, json: Data) {
        let s = request.settings
        let ignored = server.ignoredSettings
        let topN = min(max(request.topN, 1), server.maxTopLogprobs)
        var o: [String: JSONValue] = [
            "model": .string(backend.modelName), "stream": .bool(true), "max_tokens": .number(Double(s.maxTokens)),
            "temperature": .number(Double(s.temperature)), "top_p": .number(Double(s.topP)), "seed": .number(Double(s.seed)),
            "presence_penalty": .number(Double(s.presencePenalty)), "frequency_penalty": .number(Double(s.frequencyPenalty)),
            "stream_options": .object(["include_usage": .bool(true)]),
        ]
        if !ignored.contains("top_k") { o["top_k"] = .number(Double(s.topK)) }
        if !ignored.contains("min_p") { o["min_p"] = .number(Double(s.minP)) }
        if let key = server.repetitionPenaltyKey { o[key] = .number(Double(s.repeatPenalty)) }
        if server == .llamaCpp {
            o["repeat_last_n"] = .number(Double(s.repeatLastN))
            o["samplers"] = .array(s.order.map { .string($0.rawValue) })
        }
        if server == .vllm { o["return_token_ids"] = .bool(true) }
        if !s.stop.isEmpty { o["stop"] = .array(s.stop.map { .string($0) }) }
        let path: String
        switch request.prompt {
        case .chat(let messages):
            guard request.continuation.isEmpty else { throw BackendError("\(backend.location) cannot continue a chat reply from given tokens") }
            path = "/v1/chat/completions"
            o["messages"] = .array(messages.map { .object(["role": .string($0.role.rawValue), "content": .string($0.content)]) })
            o["logprobs"] = .bool(true)
            o["top_logprobs"] = .number(Double(topN))
        case .text(let text, _):
            guard request.continuation.isEmpty else { throw BackendError("\(backend.location) cannot continue a reply from given tokens") }
            path = "/v1/completions"
            o["prompt"] = .string(text)
            o["logprobs"] = .number(Double(topN))
        case .tokens(let ids):
            path = "/v1/completions"
            o["prompt"] = .array((ids + request.continuation).map { .number(Double($0)) })
            o["logprobs"] = .number(Double(topN))
        }
        return (path, try JSONEncoder().encode(o))
    }

    func run(onToken: (TokenEvent) -> Void) async throws -> GenerationSummary {
        guard request.forced.isEmpty else {
            throw BackendError("branching is not available from \(backend.location) (it cannot force a token)")
        }
        var summary = GenerationSummary(stopReason: .maxTokens, promptTokens: 0, reusedTokens: 0, computedTokens: 0, generatedTokens: 0,
                                        prefillSeconds: 0, decodeSeconds: 0, text: "")
        guard request.settings.maxTokens > 0 else { return summary }
        let (path, json) = try body()
        let start = Date()
        var firstToken: Date?
        var parser = SSEParser()
        var finished = false
        do {
            let stream = try await backend.http.stream(path, json: json, closing: server.closesStreams)
            // The body is read to its end, past [DONE] (the server ends it right after): a body left
            // unread cancels the request, which closes a connection the server would have kept alive.
            for try await buffer in stream {
                for event in parser.feed(buffer.readableBytesView) where !finished {
                    if event.data == "[DONE]" { finished = true; continue }
                    let chunk = try decodeChunk(event.data)
                    if let prompt = chunk.usage?.prompt_tokens { summary.promptTokens = prompt; summary.computedTokens = prompt }
                    guard let choice = chunk.choices.first else { continue }
                    for e in tokenEvents(choice, position: summary.generatedTokens) {
                        if firstToken == nil { firstToken = Date() }
                        summary.generatedTokens += 1
                        summary.text += e.text
                        onToken(e)
                    }
                    if let reason = choice.finish_reason { summary.stopReason = stopReason(reason) }
                }
            }
        } catch let e as BackendError {
            throw e
        } catch {
            if Task.isCancelled || error is CancellationError || (error as? HTTPClientError) == .cancelled {
                summary.stopReason = .cancelled
                return timed(summary, start: start, firstToken: firstToken)
            }
            throw RemoteHTTP.transportError(error, base: backend.http.base, timeout: backend.http.timeout, midReply: true)
        }
        if Task.isCancelled {
            summary.stopReason = .cancelled
        } else if !finished {
            throw BackendError("the stream from \(backend.http.base) ended before [DONE] (the server stopped?): the reply is incomplete")
        }
        return timed(summary, start: start, firstToken: firstToken)
    }

    private func timed(_ s: GenerationSummary, start: Date, firstToken: Date?) -> GenerationSummary {
        var s = s
        s.prefillSeconds = (firstToken ?? Date()).timeIntervalSince(start)
        s.decodeSeconds = firstToken.map { Date().timeIntervalSince($0) } ?? 0
        return s
    }

    private func decodeChunk(_ data: String) throws -> CompletionResponse {
        let bytes = Data(data.utf8)
        if let response = try? JSONDecoder().decode(CompletionResponse.self, from: bytes) { return response }
        if let e = try? JSONDecoder().decode(ErrorBody.self, from: bytes), let text = e.text {
            throw BackendError("\(backend.http.base) failed mid-reply: \(text)")
        }
        return try RemoteBackend.decode(CompletionResponse.self, bytes, what: "a streamed chunk", base: backend.http.base)
    }

    /// OpenAI's "stop" covers both the end-of-sequence token and a stop sequence; with no stop
    /// sequences sent it can only be the former.
    private func stopReason(_ reason: String) -> StopReason {
        switch reason {
        case "length": return .maxTokens
        case "stop": return request.settings.stop.isEmpty ? .eos : .stop
        default: return .eos
        }
    }

    /// A chunk's tokens: one event per log-probability entry (chat shape or legacy arrays). The
    /// chunk's text goes to its tokens when their pieces spell it; otherwise (the server held back a
    /// stop sequence) to the last of them, so the transcript shows exactly what the server sent.
    func tokenEvents(_ choice: CompletionResponse.Choice, position: Int) -> [TokenEvent] {
        let text = choice.text ?? choice.delta?.content ?? ""
        var events: [TokenEvent] = []
        func alternative(_ id: Int?, _ token: String, _ lp: Double) -> TokenAlternative {
            TokenAlternative(id: id ?? -1, text: token, logprob: Float(lp))
        }
        if let content = choice.logprobs?.content {
            for (i, t) in content.enumerated() {
                events.append(TokenEvent(id: t.id ?? choice.token_ids?[safe: i] ?? -1, bytes: t.bytes ?? Array(t.token.utf8), text: t.token,
                                         logprob: Float(t.logprob), postLogprob: nil,
                                         topRaw: (t.top_logprobs ?? []).map { alternative($0.id, $0.token, $0.logprob) },
                                         topPost: nil, entropy: nil, position: position + i))
            }
        } else if let tokens = choice.logprobs?.tokens {
            for (i, token) in tokens.enumerated() {
                let tops = (choice.logprobs?.top_logprobs?[safe: i] ?? nil) ?? [:]
                events.append(TokenEvent(id: choice.token_ids?[safe: i] ?? -1, bytes: Array(token.utf8), text: token,
                                         logprob: Float((choice.logprobs?.token_logprobs?[safe: i] ?? nil) ?? .nan), postLogprob: nil,
                                         topRaw: tops.sorted { $0.value > $1.value }.map { alternative(nil, $0.key, $0.value) },
                                         topPost: nil, entropy: nil, position: position + i))
            }
        } else if !text.isEmpty {
            events.append(TokenEvent(id: choice.token_ids?.first ?? -1, bytes: Array(text.utf8), text: text, logprob: .nan, postLogprob: nil,
                                     topRaw: [], topPost: nil, entropy: nil, position: position))
        }
        if !events.isEmpty && events.map(\.text).joined() != text {
            for i in events.indices { events[i].text = i == events.count - 1 ? text : "" }
        }
        return events
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
