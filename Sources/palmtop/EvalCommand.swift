import ArgumentParser
import Foundation
import PalmtopEngine
import PalmtopPrompts

/// `palmtop eval`: run a library prompt over its dev set and report accuracy.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Score a prompt-library prompt on its dev set.")

    @Argument(help: "A prompt name in prompts/, a path to a prompt file, or bigbench:TASK[:SUBTASK] (see `palmtop bigbench list`).") var prompt: String
    @Option(name: .shortAndLong, help: "Model (default: the prompt's preferred model).") var model: String?
    @Option(help: "A JSONL dev set to use instead of the prompt's own.") var data: String?
    @Option(help: "Evaluate only the first N items.") var limit: Int?
    @Option(help: "Use only the first K exemplars (0 = zero-shot).") var shots: Int?
    @Option(help: "Worker threads.") var threads: Int = ThreadPool.defaultThreadCount
    @Option(help: "Generative items decoded at once (continuous batching; concurrent requests with --backend).")
    var parallel: Int = Evaluator.defaultParallel
    @Option(help: "Self-consistency: sample N answers per item and take the majority vote (default: the prompt's self_consistency, else 1).")
    var samples: Int?
    @Option(help: "Self-consistency sampling temperature (default: the prompt's, else \(SelfConsistency.defaultTemperature)).")
    var sampleTemperature: Float?
    @OptionGroup var remote: RemoteOptions
    @OptionGroup var drafting: DraftOptions
    @Option(help: ArgumentHelp("Kernel path (as for generate).", valueName: "path")) var kernels: String?
    @Flag(help: "Print JSON lines (one per item, then a summary).") var json = false
    @Option(help: "BIG-bench: the metric to report (default: the task's preferred_score).") var metric: String?
    @Option(help: "BIG-bench: context limit in tokens (capped by the model's own).") var ctx: Int = 4096

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let shots, shots < 0 { throw ValidationError("--shots must not be negative") }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be between 1 and 64") }
        if let samples, !(1...64).contains(samples) { throw ValidationError("--samples must be between 1 and 64") }
        if let sampleTemperature, !(sampleTemperature >= 0) { throw ValidationError("--sample-temperature must be ≥ 0") }
    }

    func run() throws {
        try drafting.refuse(server: remote.url)
        if prompt.hasPrefix("bigbench:") {
            if data != nil { throw ValidationError("--data does not apply to BIG-bench tasks") }
            if samples != nil { throw ValidationError("--samples does not apply to BIG-bench tasks (they are scored greedily, as BIG-bench scores them)") }
            // BIG-bench scores a target tokenized apart from its prompt; a server tokenizes text itself.
            if remote.url != nil { throw ValidationError("BIG-bench tasks run on the in-process engine only (not with --backend or PALMTOP_BACKEND)") }
            if let kernels { try KernelChoice.apply(kernels, from: "--kernels") }
            return try BigBenchEval(reference: String(prompt.dropFirst("bigbench:".count)), model: model, shots: shots ?? 0, limit: limit,
                                    metric: metric, threads: threads, ctx: ctx, json: json, draft: drafting.settings).run()
        }
        var file = try PromptFile.load(nameOrPath: prompt)
        if let shots {
            for i in file.exemplars.indices { file.exemplars[i].enabled = file.exemplars[i].enabled && i < shots }
        }
        var items = try file.loadDevSet(override: data)
        if let limit { items = Array(items.prefix(max(limit, 0))) }
        if let kernels { try KernelChoice.apply(kernels, from: "--kernels") }
        let backend: ModelBackend
        if let server = try remote.connect(model: model, contextLimit: nil) {
            backend = server
        } else {
            backend = LocalBackend(model: try Model(path: try ModelStore().resolve(model ?? file.model), threads: threads))
        }
        drafting.apply(to: backend)
        InterruptHandler.install(for: backend)
        let tty = isatty(STDERR_FILENO) != 0 && !json
        var selfConsistency = file.selfConsistency
        if let samples { selfConsistency = SelfConsistency(samples: samples, temperature: selfConsistency?.temperature ?? SelfConsistency.defaultTemperature) }
        if let sampleTemperature { selfConsistency?.temperature = sampleTemperature }
        if file.scoring == .rankChoices && (selfConsistency?.samples ?? 1) > 1 { throw ValidationError("--samples applies to exact-match prompts only") }
        let evaluator = Evaluator(prompt: file, backend: backend, parallel: parallel, selfConsistency: selfConsistency)
        let started = Date()
        let summary = try evaluator.run(items: items) { r in
            if json {
                var o: [String: Any] = ["index": r.index, "input": r.input, "expected": r.expected, "predicted": r.predicted, "correct": r.correct]
                if let g = r.generated { o["generated"] = g }
                if let samples = r.samples { o["samples"] = samples }
                if let votes = r.votes { o["votes"] = votes.map { ["answer": $0.answer, "count": $0.count] } }
                if let first = r.firstSampleCorrect { o["first_sample_correct"] = first }
                if let s = r.choiceScores { o["choices"] = s.map { ["choice": $0.choice, "sum_logprob": Double($0.sumLogprob), "tokens": $0.tokenCount] } }
                JSONLine.print(o)
            } else {
                if tty { FileHandle.standardError.write(Data("\u{1B}[2K\r[\(r.index + 1)/\(items.count)]".utf8)) }
                var line = "\(r.correct ? "✓" : "✗") \(r.input.prefix(60).debugDescription) → \(r.predicted.debugDescription) (expected \(r.expected.debugDescription))"
                if let votes = r.votes { line += "  votes: " + votes.map { "\($0.answer.debugDescription)×\($0.count)" }.joined(separator: " ") }
                print(line)
            }
        }
        if tty { FileHandle.standardError.write(Data("\u{1B}[2K\r".utf8)) }
        let seconds = Date().timeIntervalSince(started)
        var o: [String: Any] = ["accuracy": summary.accuracy, "correct": summary.correct, "total": summary.total,
                                "method": summary.method.rawValue, "prompt_tokens_reused": summary.promptTokensReused,
                                "prompt_tokens_computed": summary.promptTokensComputed, "model": backend.modelName, "prompt": file.name,
                                "shots": file.enabledExemplars.count, "parallel": parallel, "seconds": seconds]
        if summary.samples > 1, let first = summary.firstSampleCorrect, let mean = summary.meanSampleAccuracy {
            o["samples"] = summary.samples
            o["sample_temperature"] = Double(evaluator.selfConsistency?.temperature ?? 0)
            o["accuracy_first_sample"] = summary.total > 0 ? Double(first) / Double(summary.total) : 0
            o["accuracy_mean_sample"] = mean
        }
        if json { JSONLine.print(o) } else {
            print(String(format: "accuracy %.3f (%d/%d, %@), prompt tokens reused %d, computed %d, %.1f s", summary.accuracy, summary.correct,
                         summary.total, summary.method.rawValue, summary.promptTokensReused, summary.promptTokensComputed, seconds))
            if summary.samples > 1, let first = summary.firstSampleCorrect, let mean = summary.meanSampleAccuracy {
                print(String(format: "self-consistency over %d samples: vote %.3f, first sample %.3f, mean single sample %.3f", summary.samples,
                             summary.accuracy, summary.total > 0 ? Double(first) / Double(summary.total) : 0, mean))
            }
        }
    }
}
