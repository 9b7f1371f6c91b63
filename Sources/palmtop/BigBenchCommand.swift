import ArgumentParser
import Foundation
import PalmtopBigBench

/// `palmtop bigbench list|show`: the installed BIG-bench tasks (run them with `palmtop eval bigbench:TASK`).
struct BigBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bigbench",
        abstract: "List and inspect BIG-bench JSON tasks (install them with `palmtop pull bigbench`; run them with `palmtop eval bigbench:TASK`).",
        subcommands: [List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the JSON tasks: type, distinct examples, preferred metric, subtasks.")
        @Flag(help: "Only BIG-bench Lite's tasks.") var lite = false
        @Flag(help: "One JSON object per task.") var json = false

        func run() throws {
            let manifest = try BigBenchStore().manifest()
            let tasks = manifest.tasks.filter { !lite || $0.lite }
            for t in tasks {
                if json {
                    JSONLine.print(["name": t.name, "type": t.type, "examples": t.examples, "preferred_metric": t.preferredMetric,
                                    "subtasks": t.subtasks, "lite": t.lite])
                } else {
                    let subtasks = t.subtasks.isEmpty ? "" : "  \(t.subtasks.count) subtasks"
                    print("\(t.name.padding(toLength: 40, withPad: " ", startingAt: 0)) \(t.type.padding(toLength: 27, withPad: " ", startingAt: 0)) "
                          + "\(String(t.examples).leftPadded(7))  \(t.preferredMetric)\(subtasks)")
                }
            }
            if !json {
                let programmatic = lite ? "" : ", \(manifest.programmatic.count) programmatic tasks not listed"
                print("\(tasks.count) JSON tasks\(programmatic); BIG-bench \(manifest.version) in \(BigBenchStore().directory.path)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a task's description, prefixes and its first example as a prompt.")
        @Argument(help: "TASK or TASK:SUBTASK.") var task: String

        func run() throws {
            let t = try BigBenchStore().load(task)
            print("\(t.name): \(t.description)")
            if !t.keywords.isEmpty { print("keywords: \(t.keywords.joined(separator: ", "))") }
            if !t.subtasks.isEmpty {
                print("subtasks (\(t.subtasks.count)): \(t.subtasks.map(\.name).joined(separator: ", "))")
                print("(show one with palmtop bigbench show \(t.subtasks[0].name))")
                return
            }
            let leaf = t.leaf!
            print("examples: \(leaf.examples.count) distinct" + (leaf.duplicateCount > 0 ? " (\(leaf.duplicateCount) duplicates dropped)" : ""))
            print("metrics: \(leaf.metrics.joined(separator: ", ")); preferred: \(leaf.preferredScore)")
            print("task_prefix: \(leaf.taskPrefix.debugDescription)")
            print("example_input_prefix: \(leaf.inputPrefix.debugDescription)  example_output_prefix: \(leaf.outputPrefix.debugDescription)")
            print("choice_prefix: \(leaf.choicePrefix.debugDescription)  append_choices_to_input: \(leaf.appendChoicesToInput)")
            print("few_shot_example_separator: \(leaf.separator.debugDescription)")
            print("output_regex: \(leaf.outputRegex?.debugDescription ?? "none")  stop_string: \(leaf.stopString?.debugDescription ?? "none")")
            let query = try leaf.queries(shots: 0, limit: nil)[0]
            print("── first example, 0-shot prompt ──")
            print(query.prompt)
            print("── targets: \(query.example.targets.map(\.debugDescription).joined(separator: ", "))")
            if let choices = query.example.targetScores {
                print("── choices as scored: " + choices.map { "\($0.choice.debugDescription) (\($0.score))" }.joined(separator: ", "))
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
