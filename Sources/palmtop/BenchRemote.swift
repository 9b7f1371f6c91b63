import ArgumentParser
import Foundation
import PalmtopEngine

/// `bench --backend URL`: the prefill and decode tests through a server, timed as a user of Palmtop sees
/// them — HTTP, the server's own queueing and Palmtop's stream handling included. Compared with
/// scripts/bench_remote.py's direct client on the same server, the difference is Palmtop's overhead.
struct RemoteBenchmark {
    let backend: ModelBackend
    let promptTokens: Int
    let generateTokens: Int
    let repetitions: Int

    /// Per run after the warm-up.
    struct Result {
        /// Prompt tokens over the time to the first token of a one-token reply to a `promptTokens` prompt.
        var prefill: [Double] = []
        /// Tokens per second after the first token of a greedy reply of up to `generateTokens`.
        var decode: [Double] = []
        /// Time to the first token of that reply: a short prompt, the same every run, which the server's
        /// cache holds after the warm-up (as for scripts/bench_remote.py's requests, so the two compare).
        var firstToken: [Double] = []
        /// Tokens the replies had (a server may end one early).
        var generated: [Int] = []
        /// Tokens of the prefill prompt as the server counted them.
        var promptTokens = 0
    }

    /// scripts/bench_remote.py's prompt: greedy counting, a reply that does not stop early.
    static let countingPrompt = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"

    func run() throws -> Result {
        // The counting prompt's characters bound its tokens.
        guard promptTokens + 1 <= backend.contextLimit, Self.countingPrompt.count + generateTokens <= backend.contextLimit else {
            throw ValidationError("--prompt-tokens \(promptTokens) or --gen-tokens \(generateTokens) do not fit the server's context of \(backend.contextLimit) tokens")
        }
        var result = Result()
        var settings = SamplingSettings.greedy
        // The first run only warms the server and the connection.
        for run in 0...repetitions {
            settings.maxTokens = 1
            let (prompt, count) = try longPrompt()
            let first = try backend.generate(GenerationRequest(prompt: prompt, settings: settings, topN: 1)) { _ in true }
            let counted = count ?? first.promptTokens
            guard first.generatedTokens >= 1, counted > 0, first.prefillSeconds > 0 else {
                throw BackendError("\(backend.location) answered the prefill test without a token or a prompt token count")
            }
            settings.maxTokens = generateTokens
            let reply = try backend.generate(GenerationRequest(prompt: .text(Self.countingPrompt, special: true), settings: settings, topN: 1)) { _ in true }
            guard reply.generatedTokens >= 2 else {
                throw BackendError("\(backend.location) ended the decode test after \(reply.generatedTokens) token(s); decode speed needs at least 2")
            }
            guard run > 0 else { continue }
            result.prefill.append(Double(counted) / first.prefillSeconds)
            result.promptTokens = counted
            result.decode.append(reply.decodeTokensPerSecond)
            result.firstToken.append(reply.prefillSeconds)
            result.generated.append(reply.generatedTokens)
        }
        return result
    }

    /// A prompt of `promptTokens` tokens and its length: as token ids where the server tokenizes;
    /// otherwise as text of about that length, counted by the server. It counts from a random number
    /// of seven digits, so that the server's prompt cache (which outlives a request, and this process)
    /// cannot serve it from an earlier run: two runs share a few leading tokens at most.
    private func longPrompt() throws -> (BackendPrompt, Int?) {
        let start = Int.random(in: 1_000_000..<9_000_000)
        let text = (start..<(start + promptTokens)).map(String.init).joined(separator: ", ")
        if let ids = try? backend.tokenize(text, parseSpecial: false), ids.count >= promptTokens {
            return (.tokens(Array(ids.prefix(promptTokens))), promptTokens)
        }
        // Each number and its comma are at least one token, usually two or three.
        return (.text((start..<(start + promptTokens / 2)).map(String.init).joined(separator: ", "), special: false), nil)
    }
}
