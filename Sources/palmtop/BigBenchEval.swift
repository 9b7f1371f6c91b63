import Foundation
import PalmtopBigBench
import PalmtopEngine

/// `palmtop eval bigbench:TASK[:SUBTASK]`: a BIG-bench JSON task scored by BIG-bench's protocol, on one
/// session so the KV cache is reused from item to item.
struct BigBenchEval {
    let reference: String
    let model: String?
    let shots: Int
    let limit: Int?
    let metric: String?
    let threads: Int
    let ctx: Int
    let json: Bool
    let draft: DraftSettings

    func run() throws {
        let task = try BigBenchStore().load(reference)
        let runner = BigBenchRunner(task: task, shots: shots, limit: limit, metric: metric)
        // Validate the whole run (shots, limit, metric, regex) before loading a model.
        let total = try runner.itemCount()
        let loaded = try Model(path: try ModelStore().resolve(model ?? ModelOptions.defaultModel), threads: threads)
        let session = Session(model: loaded, contextLimit: ctx)
        session.draft = draft
        let tty = isatty(STDERR_FILENO) != 0 && !json
        var done = 0
        let summary = try runner.run(model: SessionBigBenchModel(session: session)) { r in
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
                                    "model": loaded.name, "prompt_tokens_reused": session.totalReused, "prompt_tokens_computed": session.totalComputed]
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
