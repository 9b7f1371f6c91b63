import Foundation
import PalmtopEngine
import PalmtopPrompts

/// A BIG-bench leaf task as a library prompt the REPL can edit: the shots BIG-bench draws for its
/// first query become the exemplars, the task's prefixes the template, and the first queries BIG-bench
/// draws (the shots left out) the dev set. A `PromptFile` renders a query exactly as BIG-bench builds
/// its prompt — `task_prefix` + shots joined by the separator + separator + the formatted query — so
/// the unedited prompt scores what `palmtop eval bigbench:TASK --shots K` scores on its first query,
/// and an edited one shows what the edit does to BIG-bench's own metric.
public struct BigBenchLivePrompt: Sendable {
    /// Shots BIG-bench draws as exemplars (fewer when the task is smaller).
    public static let defaultShots = 3
    /// Queries in the dev set: a few seconds of model time on the small default models.
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
    /// The dev set: BIG-bench's first queries that are not shots, formatted.
    let dev: [(index: Int, example: FormattedExample)]

    public var devCount: Int { dev.count }
    /// Distinct examples that are not shots: the most the dev set could hold.
    public var available: Int { (task.leaf?.examples.count ?? 0) - shotIndices.count }
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
        // Enough queries that `devSize` remain once the shots are left out.
        let plan = try BigBenchRunner(task: task, shots: k, metric: metric).leafPlan(task, limit: devSize + k)
        let first = plan.queries[0]
        shotIndices = first.shotIndices
        shotTargets = first.shotTargets
        let formatted = leaf.formattedExamples()
        shotBodies = first.shotIndices.map { formatted[$0].body }
        let shotSet = Set(first.shotIndices)
        dev = plan.queries.filter { !shotSet.contains($0.exampleIndex) }.prefix(devSize).map { ($0.exampleIndex, $0.example) }
    }

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

    /// The dev set's queries with `prompt`'s exemplars in place of BIG-bench's drawn shots.
    public func queries(for prompt: PromptFile) -> [BigBenchQuery] {
        dev.map { BigBenchQuery(exampleIndex: $0.index, shotIndices: [], shotTargets: [], prompt: prompt.render(query: $0.example.body),
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
