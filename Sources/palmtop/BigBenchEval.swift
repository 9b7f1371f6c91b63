import Foundation
import PalmtopBigBench
import PalmtopEngine

/// `palmtop eval bigbench:TASK[:SUBTASK]`: a BIG-bench JSON task scored by BIG-bench's protocol.
/// Multiple choice is scored on one backend sequence (in-process: one session, whose KV cache is
/// reused from item to item) and needs a backend that can score; generative tasks run anywhere,
/// `parallel` queries decoded at once (in-process: continuous batching with the shared prefix
/// computed once; a server: concurrent requests), printed in query order.
struct BigBenchEval {
    let reference: String
    let shots: Int
    let limit: Int?
    let metric: String?
    let parallel: Int
    let json: Bool
    /// Opens the backend, once the run has been checked.
    let open: () throws -> ModelBackend

    func run() throws {
        let task = try BigBenchStore().load(reference)
        let runner = BigBenchRunner(task: task, shots: shots, limit: limit, metric: metric, parallel: parallel)
        // Validate the whole run (shots, limit, metric, regex) before loading a model or connecting.
        let total = try runner.itemCount()
        let backend = try open()
        if try runner.scoresChoices(), !backend.capabilities.scoringApart {
            throw BackendError(backend.capabilities.scoringApartLimitation)
        }
        let tty = isatty(STDERR_FILENO) != 0 && !json
        var done = 0
        let summary = try runner.run(model: BackendBigBenchModel(backend: backend)) { r in
            done += 1
            if json {
                var o: [String: Any] = ["task": r.task, "index": r.index, "example": r.exampleIndex, "prompt": r.prompt,
                                        "prediction": r.prediction, "targets": r.targets, "score": r.score]
                if let c = r.choices { o["choices"] = c }
                if let l = r.logprobs { o["logprobs"] = l }
                if let raw = r.rawOutput { o["output"] = ["raw": raw, "postprocessed": r.output ?? ""] }
                JSONLine.print(o)
            } else {
                if tty { FileHandle.standardError.write(Data("\u{1B}[2K\r[\(done)/\(total)]".utf8)) }
                let mark = r.score >= 1 ? "✓" : (r.score > 0 ? "½" : "✗")
                print("\(mark) \(r.prediction.debugDescription) (targets \(r.targets.prefix(3).map(\.debugDescription).joined(separator: ", ")))")
            }
        }
        if tty { FileHandle.standardError.write(Data("\u{1B}[2K\r".utf8)) }
        var notComputed: [String: String] = [:]
        for leaf in summary.leaves { for (k, v) in leaf.notComputed { notComputed[k] = v } }
        var scores: [String: Double] = [:]
        for leaf in summary.leaves { for (k, v) in leaf.metrics { scores[k, default: 0] += v / Double(summary.leaves.count) } }
        if json {
            var o: [String: Any] = ["task": summary.task, "shots": summary.shots, "items": summary.items, "metric": summary.metric,
                                    "score": summary.score, "chance": summary.chance, "scores": scores, "not_computed": notComputed,
                                    "model": backend.modelName,
                                    // A server does not say how much of a prompt its cache served: null, not 0.
                                    "prompt_tokens_reused": backend.tokenTotals?.reused ?? NSNull(),
                                    "prompt_tokens_computed": backend.tokenTotals?.computed ?? NSNull()]
            if let limit { o["limit"] = limit }
            if summary.leaves.count > 1 {
                o["subtasks"] = summary.leaves.map { ["task": $0.task, "items": $0.items, "score": $0.score, "chance": $0.chance] as [String: Any] }
            }
            JSONLine.print(o)
        } else {
            let others = scores.filter { $0.key != summary.metric }.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }
            print(String(format: "%@ %d-shot: %@ %.2f (chance %.2f) over %d items", summary.task, summary.shots, summary.metric, summary.score,
                         summary.chance, summary.items) + (others.isEmpty ? "" : "; " + others.joined(separator: ", ")))
            if !notComputed.isEmpty {
                print("not computed: " + notComputed.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", "))
            }
        }
    }
}
