import Foundation
import PalmtopEngine
import PalmtopPrompts

/// A BIG-bench leaf task as a library prompt the REPL can edit: the shots BIG-bench draws for its
/// first query become the exemplars, the task's prefixes the template, and its other examples the
/// dev set, in the order BIG-bench draws queries. A `PromptFile` renders a query exactly as BIG-bench
/// builds its prompt — `task_prefix` + shots joined by the separator + separator + the formatted
/// query — so the unedited prompt scores what `palmtop eval bigbench:TASK --shots K` scores on its
/// first query, and an edited one shows what the edit does to BIG-bench's own metric.
///
/// A run scores the first `devSize` of the other examples, so a task of thousands of examples answers
/// in seconds and can be grown to all of them. The size never changes the exemplars: they are drawn
/// once, when the task is opened, and `make_nshot_dataset` draws its queries as the first N of one
/// permutation of every example (numpy's `choice(n, N, replace=False)`), then the first query's shots
/// from the generator's state after that permutation — the same draws whatever N is. So the first N
/// other examples here are `--limit N`'s queries less the shots, at every size.
public struct BigBenchLivePrompt: Sendable {
    /// Shots BIG-bench draws as exemplars (fewer when the task is smaller).
    public static let defaultShots = 3
    /// Queries a dev-set run starts with: a few seconds of model time on the small default models.
    public static let defaultDevSize = 10

    /// `bigbench:TASK[:SUBTASK]`, the prompt's `source`.
    public let reference: String
    public let task: BigBenchTask
    /// The metric the dev set reports: the preferred one, else the first one Palmtop computes.
    public let metric: String
    /// The examples shown as exemplars, with the target each is shown with.
    public let shotIndices: [Int]
    let shotTargets: [String]
    let shotBodies: [String]
    /// Every example that is not a shot, formatted, in the order BIG-bench draws queries.
    let others: [(index: Int, example: FormattedExample)]
    /// How many of the other examples a run scores: from 1 (when there are any) to all of them.
    public private(set) var devSize: Int

    public var devCount: Int { devSize }
    /// Distinct examples that are not shots: the most the dev set can hold.
    public var available: Int { others.count }
    public var isMultipleChoice: Bool { BigBenchRunner.isChoiceMetric(metric) }

    /// `task` must be a leaf (a subtask, or a task without subtasks).
    public init(task: BigBenchTask, shots: Int = defaultShots, devSize: Int = defaultDevSize) throws {
        guard let leaf = task.leaf else {
            throw BigBenchError("\(task.name) has \(task.subtasks.count) subtasks; open one of them (\(task.name):SUBTASK)")
        }
        self.task = task
        reference = "bigbench:" + task.name
        let listed = leaf.reportedMetrics
        let computed = listed.filter { BigBenchMetrics.computed.contains($0) }
        guard let metric = computed.contains(leaf.preferredScore) ? leaf.preferredScore : computed.first else {
            throw BigBenchError("\(task.name): Palmtop computes none of its metrics (\(listed.joined(separator: ", ")))")
        }
        self.metric = metric
        let k = min(shots, leaf.examples.count - 1)
        // One query is enough for its shots: they do not depend on how many queries are drawn.
        let first = try BigBenchRunner(task: task, shots: k, metric: metric).leafPlan(task, limit: 1).queries[0]
        shotIndices = first.shotIndices
        shotTargets = first.shotTargets
        let formatted = leaf.formattedExamples()
        shotBodies = first.shotIndices.map { formatted[$0].body }
        let shotSet = Set(first.shotIndices)
        others = leaf.queryOrder().filter { !shotSet.contains($0) }.map { ($0, formatted[$0]) }
        self.devSize = 0
        resize(to: devSize)
    }

    /// Sets how many of the other examples a run scores (clamped to 1…all); the exemplars stay as drawn.
    public mutating func resize(to size: Int) {
        devSize = min(max(size, min(1, available)), available)
    }

    /// The sizes `+` and `-` step through: 10, 20, 50, 100, 200, 500, … below the number of other
    /// examples, then all of them.
    public var sizes: [Int] {
        var steps: [Int] = [], scale = 10
        while true {
            for m in [1, 2, 5] {
                guard m * scale < available else { return steps + [available] }
                steps.append(m * scale)
            }
            scale *= 10
        }
    }

    /// The next size up (`+`), or down (`-`), from the current one.
    public var largerSize: Int { sizes.first { $0 > devSize } ?? available }
    public var smallerSize: Int { sizes.last { $0 < devSize } ?? devSize }

    /// A library name for the task: letters, digits, `-`, `_` and `.` (a subtask's `:` becomes `-`).
    public static func libraryName(for taskName: String) -> String {
        let name = String(taskName.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" })
        return name.hasPrefix(".") ? "bigbench" + name : name
    }

    /// The task as a complete-mode prompt preferring `model`. Throws one line when the task's
    /// prefixes cannot be written as a template (a prefix spelling `{input}`, say).
    public func prompt(model: String) throws -> PromptFile {
        let leaf = task.leaf!
        var extractor: AnswerExtractor?
        if !isMultipleChoice {
            // For a query typed in the editor; the dev set is post-processed by BIG-bench's own rules.
            let regex = leaf.outputRegex.flatMap { $0.isEmpty ? nil : $0 }
            extractor = regex.flatMap { (try? NSRegularExpression(pattern: $0)) != nil ? .regex($0) : nil } ?? .firstLine
        }
        var sampling = SamplingSettings.greedy
        sampling.maxTokens = 256  // BIG-bench's max_length
        let exemplars = zip(shotBodies, shotTargets).map { Exemplar(fields: ["input": $0, "output": $1]) }
        let prompt = PromptFile(
            name: Self.libraryName(for: task.name), description: task.description, model: model, mode: .complete,
            instruction: leaf.taskPrefix.isEmpty ? nil : leaf.taskPrefix, instructionSeparator: leaf.taskPrefix.isEmpty ? nil : "",
            template: leaf.inputPrefix + "{input}" + leaf.outputPrefix + "{output}", separator: leaf.separator,
            query: leaf.inputPrefix + "{input}" + leaf.outputPrefix, exemplars: exemplars, extractor: extractor, sampling: sampling,
            // Choices are appended raw, as BIG-bench appends them (only a rank-choices file records this).
            scoring: isMultipleChoice ? .rankChoices : .exactMatch, choiceTemplate: isMultipleChoice ? "{choice}" : " {choice}",
            devPath: nil, source: reference, path: nil)
        // What "save as" writes must load back as this very prompt.
        do {
            var reread = try PromptFile.parse(prompt.yaml(), path: "<bigbench>")
            reread.path = nil
            guard reread == prompt else { throw BigBenchError("\(reference) cannot be written as a library prompt unchanged") }
        } catch let e as PromptFileError {
            throw BigBenchError("\(reference) cannot be a library prompt: \(e.message)")
        }
        return prompt
    }

    /// The dev set's queries (the first `devSize` other examples) with `prompt`'s exemplars in place
    /// of BIG-bench's drawn shots.
    public func queries(for prompt: PromptFile) -> [BigBenchQuery] {
        others.prefix(devSize).map { BigBenchQuery(exampleIndex: $0.index, shotIndices: [], shotTargets: [], prompt: prompt.render(query: $0.example.body),
                                example: $0.example) }
    }

    /// The example's input as the task file has it (no prefixes, no choices), for result lists.
    public func input(of result: BigBenchItemResult) -> String { task.leaf!.examples[result.exampleIndex].input }

    /// Runs the dev set on `prompt` by BIG-bench's protocol; stops before the next query once
    /// `shouldStop()` is true.
    public func run(_ prompt: PromptFile, model: BigBenchModel, shouldStop: () -> Bool = { false },
                    onItem: (BigBenchItemResult) -> Void = { _ in }) throws -> BigBenchLeafScore {
        try BigBenchRunner(task: task, shots: prompt.enabledExemplars.count, metric: metric)
            .run(queries: queries(for: prompt), model: model, shouldStop: shouldStop, onItem: onItem)
    }
}
