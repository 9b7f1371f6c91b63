import Foundation

/// What the runner needs from a model: BIG-bench's `cond_log_prob` (absolute) and greedy `generate_text`.
/// Kept this small so that the in-process session, a batched engine or a remote server fit behind it.
public protocol BigBenchModel: AnyObject {
    /// The summed log-probability of each target given the prompt, targets appended raw.
    func logprobs(prompt: String, targets: [String]) throws -> [Double]
    /// Greedy continuation of `prompt`, at most `maxTokens` tokens; stops early once `settled(textSoFar)`.
    func generate(prompt: String, maxTokens: Int, settled: (String) -> Bool) throws -> String
}

/// One evaluated query.
public struct BigBenchItemResult: Sendable {
    /// The leaf task (`parent:child` for a subtask).
    public let task: String
    /// Position of the query in its leaf's run, and the example it is.
    public let index: Int
    public let exampleIndex: Int
    public let prompt: String
    /// Multiple choice: the choices in the order scored, with their summed log-probabilities.
    public let choices: [String]?
    public let logprobs: [Double]?
    /// Generative: the text generated and what post-processing kept.
    public let rawOutput: String?
    public let output: String?
    public let prediction: String
    public let targets: [String]
    /// The item's value of the run's metric on BIG-bench's 0–1 scale (a target score, or 0/1 for a match).
    public let score: Double
}

/// A leaf's metrics on BIG-bench's reporting scale (0–100 for the renormalized ones).
public struct BigBenchLeafScore: Sendable {
    public let task: String
    public let items: Int
    public let metrics: [String: Double]
    /// The run's metric and its chance level, on the same scale.
    public let metric: String
    public let score: Double
    public let chance: Double
    /// Metrics the task lists that were not computed, and why.
    public let notComputed: [String: String]
}

/// The whole run: one leaf, or a container aggregated over its subtasks as BIG-bench's `add_aggregate_scores` does.
public struct BigBenchRunSummary: Sendable {
    public let task: String
    public let shots: Int
    public let items: Int
    public let metric: String
    public let score: Double
    public let chance: Double
    public let leaves: [BigBenchLeafScore]
}

/// Runs a BIG-bench JSON task by its own protocol: queries and shots from `make_nshot_dataset`, rank
/// classification for multiple choice, greedy generation with `postprocess_output` otherwise.
public struct BigBenchRunner {
    public let task: BigBenchTask
    public let shots: Int
    public let limit: Int?
    /// The metric to report; nil: each leaf's `preferred_score`.
    public let metric: String?
    /// BIG-bench's `max_length`: tokens generated and characters kept (256 in its HuggingFace model).
    public let maxLength: Int

    /// A leaf, the metric it is scored by and its queries, all worked out before the model runs.
    struct Plan {
        let task: BigBenchTask
        let leaf: BigBenchLeaf
        let metric: String
        let queries: [BigBenchQuery]
        let postprocessor: OutputPostprocessor?
    }

    public init(task: BigBenchTask, shots: Int, limit: Int? = nil, metric: String? = nil, maxLength: Int = 256) {
        self.task = task; self.shots = shots; self.limit = limit; self.metric = metric; self.maxLength = maxLength
    }

    /// Checks everything a run needs (shots, limit, metrics, regexes) and builds the queries, so that bad
    /// input fails in one line before any model work.
    func plan() throws -> [Plan] {
        guard shots >= 0 else { throw BigBenchError("--shots must not be negative") }
        let leaves = task.leaves
        var perLeafLimit = limit
        if let limit, task.leaf == nil {
            perLeafLimit = limit / leaves.count
            if perLeafLimit! < 1 {
                throw BigBenchError("for task \(task.name): --limit \(limit) must be at least the number of subtasks (\(leaves.count))")
            }
        }
        return try leaves.map { try leafPlan($0, limit: perLeafLimit) }
    }

    /// One leaf's plan: the metric checked, and BIG-bench's queries — or `given` ones (checked the same way).
    func leafPlan(_ t: BigBenchTask, limit: Int?, queries given: [BigBenchQuery]? = nil) throws -> Plan {
        guard let leaf = t.leaf else { throw BigBenchError("\(t.name) is a container of subtasks; name one of them (\(t.name):SUBTASK)") }
        let chosen = metric ?? leaf.preferredScore
        let listed = leaf.reportedMetrics
        guard listed.contains(chosen) else {
            throw BigBenchError("\(t.name) is not scored by \(chosen) (its metrics: \(listed.joined(separator: ", ")))")
        }
        guard BigBenchMetrics.computed.contains(chosen) else {
            let available = listed.filter { BigBenchMetrics.computed.contains($0) }
            throw BigBenchError("\(t.name): Palmtop does not compute \(chosen)" +
                                (available.isEmpty ? " nor any other metric of this task" : "; choose one of \(available.joined(separator: ", ")) with --metric"))
        }
        let queries: [BigBenchQuery]
        if let given { queries = given } else {
            do { queries = try leaf.queries(shots: shots, limit: limit) } catch let e as BigBenchError { throw BigBenchError("\(t.name): \(e.description)") }
        }
        if Self.isChoiceMetric(chosen), let bad = queries.first(where: { ($0.example.choices ?? []).isEmpty }) {
            throw BigBenchError("\(t.name): example \(bad.exampleIndex + 1) has no choices")
        }
        let post = Self.isChoiceMetric(chosen) ? nil
            : try OutputPostprocessor(maxLength: maxLength, stopString: leaf.stopString, outputRegex: leaf.outputRegex)
        return Plan(task: t, leaf: leaf, metric: chosen, queries: queries, postprocessor: post)
    }

    /// How many queries the run has; throws the one-line problem if the run cannot go ahead.
    public func itemCount() throws -> Int { try plan().reduce(0) { $0 + $1.queries.count } }

    static func isChoiceMetric(_ m: String) -> Bool { m == "multiple_choice_grade" || m == "calibration_multiple_choice_brier_score" }

    /// Evaluates every query, calling `onItem` as each finishes.
    public func run(model: BigBenchModel, onItem: (BigBenchItemResult) -> Void = { _ in }) throws -> BigBenchRunSummary {
        let plans = try plan()
        var leafScores: [BigBenchLeafScore] = []
        for plan in plans {
            leafScores.append(try run(plan, model: model, onItem: onItem))
        }
        return summarize(leafScores)
    }

    /// Scores queries the caller built on this runner's leaf task — the REPL's live prompt, whose
    /// exemplars stand in for BIG-bench's drawn shots — exactly as `run` scores its own. Once
    /// `shouldStop()` is true no further query starts, and the score covers the queries done.
    public func run(queries: [BigBenchQuery], model: BigBenchModel, shouldStop: () -> Bool = { false },
                    onItem: (BigBenchItemResult) -> Void = { _ in }) throws -> BigBenchLeafScore {
        try run(leafPlan(task, limit: nil, queries: queries), model: model, shouldStop: shouldStop, onItem: onItem)
    }

    private func run(_ plan: Plan, model: BigBenchModel, shouldStop: () -> Bool = { false },
                     onItem: (BigBenchItemResult) -> Void) throws -> BigBenchLeafScore {
        let leaf = plan.leaf
        let choiceRun = Self.isChoiceMetric(plan.metric)
        // The metrics of the kind this run computes anyway; the others are named as not computed.
        let kind = choiceRun ? ["multiple_choice_grade", "calibration_multiple_choice_brier_score"] : ["exact_str_match", "case_insensitive_str_match"]
        let listed = leaf.reportedMetrics
        let computed = listed.filter { kind.contains($0) }
        var notComputed: [String: String] = [:]
        for m in listed where !computed.contains(m) {
            notComputed[m] = BigBenchMetrics.computed.contains(m) ? "not run (choose it with --metric)" : "not implemented in Palmtop"
        }
        var grade = 0.0, brierSum = 0.0, brierCount = 0, exact = 0.0, caseless = 0.0, done = 0
        for (i, q) in plan.queries.enumerated() where !shouldStop() {
            let result: BigBenchItemResult
            if choiceRun {
                let scores = q.example.targetScores!
                let lp = try model.logprobs(prompt: q.prompt, targets: scores.map(\.choice))
                let (best, g) = BigBenchScoring.choiceGrade(scores: scores, normalizedLogprobs: BigBenchScoring.normalized(lp))
                let b = BigBenchScoring.brier(scores: scores.map(\.score), logprobs: lp)
                grade += g; brierSum += b.sum; brierCount += b.count
                result = BigBenchItemResult(task: plan.task.name, index: i, exampleIndex: q.exampleIndex, prompt: q.prompt,
                                            choices: scores.map(\.choice), logprobs: lp, rawOutput: nil, output: nil,
                                            prediction: scores[best].choice, targets: q.example.targets,
                                            score: plan.metric == "multiple_choice_grade" ? g : b.sum / Double(b.count))
            } else {
                let post = plan.postprocessor!
                let raw = try model.generate(prompt: q.prompt, maxTokens: maxLength, settled: post.isSettled)
                let out = post.process(raw)
                let e = BigBenchScoring.exactMatch(out, targets: q.example.targets) ? 1.0 : 0.0
                let c = BigBenchScoring.caseInsensitiveMatch(out, targets: q.example.targets) ? 1.0 : 0.0
                exact += e; caseless += c
                result = BigBenchItemResult(task: plan.task.name, index: i, exampleIndex: q.exampleIndex, prompt: q.prompt,
                                            choices: nil, logprobs: nil, rawOutput: raw, output: out, prediction: out,
                                            targets: q.example.targets, score: plan.metric == "exact_str_match" ? e : c)
            }
            done += 1
            onItem(result)
        }
        let n = Double(max(done, 1))
        var values: [String: Double] = [:]
        for m in computed {
            let v: Double
            switch m {
            case "multiple_choice_grade": v = grade / n
            case "calibration_multiple_choice_brier_score": v = brierSum / Double(max(brierCount, 1))
            case "exact_str_match": v = exact / n
            default: v = caseless / n
            }
            values[m] = BigBenchMetrics.renormalized.contains(m) ? v * 100 : v
        }
        let low = plan.metric == leaf.preferredScore ? leaf.lowScore : (BigBenchMetrics.ranges[plan.metric]?.low ?? 0)
        let chance = BigBenchMetrics.renormalized.contains(plan.metric) ? low * 100 : low
        return BigBenchLeafScore(task: plan.task.name, items: done, metrics: values, metric: plan.metric,
                                 score: values[plan.metric]!, chance: chance, notComputed: notComputed)
    }

    /// A leaf reports its own score; a container the mean over subtasks when they share a metric, else
    /// BIG-bench's `normalized_aggregate_score` (mean of (score − low) / (high − low), times 100).
    func summarize(_ leaves: [BigBenchLeafScore]) -> BigBenchRunSummary {
        let items = leaves.reduce(0) { $0 + $1.items }
        if task.leaf != nil, let only = leaves.first {
            return BigBenchRunSummary(task: task.name, shots: shots, items: items, metric: only.metric, score: only.score, chance: only.chance, leaves: leaves)
        }
        let n = Double(leaves.count)
        let metrics = Set(leaves.map(\.metric))
        if metrics.count == 1 {
            return BigBenchRunSummary(task: task.name, shots: shots, items: items, metric: metrics.first!,
                                      score: leaves.reduce(0) { $0 + $1.score } / n, chance: leaves.reduce(0) { $0 + $1.chance } / n, leaves: leaves)
        }
        let normalized = leaves.reduce(0.0) { acc, l in
            let high = (BigBenchMetrics.ranges[l.metric]?.high ?? 1) * (BigBenchMetrics.renormalized.contains(l.metric) ? 100 : 1)
            return acc + (l.score - l.chance) / (high - l.chance)
        }
        return BigBenchRunSummary(task: task.name, shots: shots, items: items, metric: "normalized_aggregate_score",
                                  score: normalized / n * 100, chance: 0, leaves: leaves)
    }
}
