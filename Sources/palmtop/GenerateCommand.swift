import ArgumentParser
import Foundation
import PalmtopEngine
import PalmtopPrompts

/// `palmtop generate`: stream a continuation as text or as JSON lines with log-probabilities.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate a continuation of a prompt.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var drafting: DraftOptions
    @Option(name: .shortAndLong, help: "The prompt text.") var prompt: String?
    @Option(help: "Read the prompt from a file ('-' for stdin).") var promptFile: String?
    @Option(help: "Render this prompt-library prompt with --input instead of --prompt.") var promptLib: String?
    @Option(help: "The query input for --prompt-lib.") var input: String?
    @Option(help: "Alternatives to list per token in jsonl output.") var topLogprobs: Int = 0
    @Flag(help: "Also print each prompt token's log-probability (jsonl).") var echo = false
    @Flag(help: "Treat special-token text in the prompt as plain text.") var noSpecial = false
    @Option(help: "Output format: text or jsonl.") var format: OutputFormat = .text
    @Option(name: .customLong("n"), help: "Samples of the prompt, decoded together and sharing the prompt's cache (seeds seed, seed+1, …).")
    var samples: Int = 1

    enum OutputFormat: String, ExpressibleByArgument { case text, jsonl }

    func validate() throws {
        let sources = [prompt != nil, promptFile != nil, promptLib != nil].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("give exactly one of --prompt, --prompt-file or --prompt-lib") }
        if promptLib != nil && input == nil { throw ValidationError("--prompt-lib needs --input") }
        guard (0...50).contains(topLogprobs) else { throw ValidationError("--top-logprobs must be between 0 and 50") }
        guard (1...64).contains(samples) else { throw ValidationError("--n must be between 1 and 64") }
        if samples > 1 && echo { throw ValidationError("--echo prints one prompt; use it without --n") }
    }

    func run() throws {
        try drafting.refuse(server: modelOptions.remote.url)
        var settings = sampling.settings
        var text: String
        var library: PromptFile?
        if let promptLib {
            library = try PromptFile.load(nameOrPath: promptLib)
            if !sampling.stopWasSet { settings.stop = library!.sampling.stop }
            text = ""
        } else {
            text = try prompt ?? readUTF8(path: promptFile)
            guard !text.isEmpty else { throw ValidationError("the prompt is empty") }
        }
        let backend = try modelOptions.open(fallback: library?.model ?? ModelOptions.defaultModel)
        drafting.apply(to: backend)
        let request: BackendPrompt
        if let library, let input {
            request = library.backendPrompt(query: input, on: backend)
            text = library.render(query: input, chatTemplate: backend.chatTemplate)
        } else {
            request = .text(text, special: !noSpecial)
        }
        InterruptHandler.install(for: backend)
        if let count = backend.tokens(for: request)?.count, count + 1 > backend.contextLimit {
            throw ValidationError(EngineError.promptTooLong(tokens: count, limit: backend.contextLimit).description)
        }
        if echo && format == .jsonl {
            for s in try backend.promptLogprobs(text, topN: topLogprobs) {
                var o: [String: Any] = ["token": s.id, "text": s.text, "prompt": true]
                o["logprob"] = s.logprob.map { Double($0) } ?? NSNull()
                if topLogprobs > 0 { o["top_logprobs"] = s.top.map { ["token": $0.id, "text": $0.text, "logprob": Double($0.logprob)] } }
                JSONLine.print(o)
            }
        } else if echo {
            StandardOutput.write(text)
        }
        if samples > 1 { return try generateSamples(request, settings: settings, on: backend) }
        let summary = try backend.generate(GenerationRequest(prompt: request, settings: settings, topN: max(topLogprobs, 1))) { event in
            switch format {
            case .text:
                StandardOutput.write(event.text)
            case .jsonl:
                var o: [String: Any] = ["token": event.id >= 0 ? event.id : NSNull(), "text": String(decoding: event.bytes, as: UTF8.self),
                                        "logprob": event.logprob.isNaN ? NSNull() : Double(event.logprob)]
                if topLogprobs > 0 {
                    o["top_logprobs"] = event.topRaw.prefix(topLogprobs).map {
                        ["token": $0.id >= 0 ? $0.id : NSNull(), "text": $0.text, "logprob": Double($0.logprob)] as [String: Any]
                    }
                }
                JSONLine.print(o)
            }
            return true
        }
        switch format {
        case .text:
            StandardOutput.write("\n")
        case .jsonl:
            var done: [String: Any] = ["done": true, "stop_reason": summary.stopReason.rawValue, "prompt_tokens": summary.promptTokens,
                                       "generated_tokens": summary.generatedTokens, "text": summary.text,
                                       "prefill_tokens_per_s": summary.prefillTokensPerSecond, "decode_tokens_per_s": summary.decodeTokensPerSecond,
                                       "time_to_first_token_s": summary.prefillSeconds, "backend": backend.location, "model": backend.modelName]
            if let d = summary.draft {
                done["draft"] = ["proposed": d.proposed, "accepted": d.accepted, "passes": d.passes, "acceptance_rate": d.acceptanceRate]
            }
            JSONLine.print(done)
        }
        if summary.stopReason == .cancelled { throw ExitCode(130) }
    }
}

extension Generate {
    /// `--n N`: N replies to one prompt in one batch. Text output prints each reply under a header;
    /// jsonl prints one object per sample (its text, tokens with log-probabilities, stop reason).
    func generateSamples(_ prompt: BackendPrompt, settings: SamplingSettings, on backend: ModelBackend) throws {
        let requests = (0..<samples).map { i in
            var s = settings
            s.seed = settings.seed &+ UInt64(i)
            return GenerationRequest(prompt: prompt, settings: s, topN: max(topLogprobs, 1))
        }
        let tokens = SampleTokens(count: samples)
        let top = topLogprobs
        let summaries = try backend.generateBatch(requests, parallel: samples, onToken: { i, event in
            var o: [String: Any] = ["token": event.id >= 0 ? event.id : NSNull(), "text": String(decoding: event.bytes, as: UTF8.self),
                                    "logprob": event.logprob.isNaN ? NSNull() : Double(event.logprob)]
            if top > 0 {
                o["top_logprobs"] = event.topRaw.prefix(top).map { ["token": $0.id >= 0 ? $0.id : NSNull(), "text": $0.text, "logprob": Double($0.logprob)] as [String: Any] }
            }
            tokens.append(i, o)
            return true
        }, onFinished: { _, _ in })
        for (i, summary) in summaries.enumerated() {
            switch format {
            case .text:
                StandardOutput.write("--- sample \(i + 1) of \(samples) (\(summary.stopReason.rawValue), \(summary.generatedTokens) tokens)\n\(summary.text)\n")
            case .jsonl:
                JSONLine.print(["sample": i, "seed": requests[i].settings.seed, "text": summary.text, "tokens": tokens.all[i],
                                "stop_reason": summary.stopReason.rawValue, "prompt_tokens": summary.promptTokens,
                                "reused_tokens": summary.reusedTokens, "generated_tokens": summary.generatedTokens,
                                "backend": backend.location, "model": backend.modelName])
            }
        }
        if summaries.contains(where: { $0.stopReason == .cancelled }) { throw ExitCode(130) }
    }
}

/// Each sample's tokens as JSON objects, gathered from the batch's callbacks (which it serializes).
private final class SampleTokens: @unchecked Sendable {
    private(set) var all: [[[String: Any]]]
    init(count: Int) { all = Array(repeating: [], count: count) }
    func append(_ sample: Int, _ token: [String: Any]) { all[sample].append(token) }
}

extension SamplingOptions {
    /// Whether the user gave --stop (a library prompt's own stop sequences apply otherwise).
    var stopWasSet: Bool { !stop.isEmpty }
}
