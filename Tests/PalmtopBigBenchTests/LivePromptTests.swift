import XCTest
import PalmtopBigBench
import PalmtopPrompts

/// A BIG-bench task turned into a library prompt: its shots become exemplars, its prefixes the
/// template, and the rendered prompt is BIG-bench's own, so the dev set scores what BIG-bench would.
final class LivePromptTests: XCTestCase {
    /// Eight multiple-choice examples with BIG-bench's fields set away from their defaults.
    func multipleChoiceTask() throws -> BigBenchTask {
        let examples = (1...8).map { i in
            #"{"input": "q\#(i)", "target_scores": {"red": \#(i % 2), "blue": \#(1 - i % 2)}}"#
        }.joined(separator: ", ")
        return try task(leafJSON(#""task_prefix": "Pick a colour.\n", "example_input_prefix": "In: ", "example_output_prefix": "\nOut: ", "few_shot_example_separator": "\n\n""#,
                                 examples: "[\(examples)]"))
    }

    func testTheUneditedPromptRendersBigBenchsOwnPrompt() throws {
        let t = try multipleChoiceTask()
        let live = try BigBenchLivePrompt(task: t, shots: 2, devSize: 3)
        let prompt = try live.prompt(model: "gemma-3-270m")
        let bigBench = try t.leaf!.queries(shots: 2, limit: 5)
        XCTAssertEqual(live.shotIndices, bigBench[0].shotIndices, "the exemplars are the shots BIG-bench draws for its first query")
        XCTAssertEqual(prompt.exemplars.map { $0.fields["output"]! }, bigBench[0].shotTargets)
        XCTAssertEqual(prompt.instruction, "Pick a colour.\n")
        XCTAssertEqual(prompt.instructionSeparator, "")
        XCTAssertEqual(prompt.scoring, .rankChoices)
        XCTAssertEqual(prompt.choiceTemplate, "{choice}", "choices are appended raw")
        XCTAssertEqual(prompt.source, "bigbench:t")
        let queries = live.queries(for: prompt)
        XCTAssertEqual(queries.count, 3)
        XCTAssertEqual(queries[0].prompt, bigBench[0].prompt)
        XCTAssertEqual(queries.map(\.exampleIndex), bigBench.map(\.exampleIndex).filter { !live.shotIndices.contains($0) }.prefix(3).map { $0 })
        XCTAssertTrue(queries.allSatisfy { q in !live.shotIndices.contains(q.exampleIndex) }, "no shot is in the dev set")
        XCTAssertEqual(live.available, 6)
    }

    func testSwitchingShotsOffKeepsBigBenchsLayout() throws {
        let t = try multipleChoiceTask()
        let live = try BigBenchLivePrompt(task: t, shots: 2, devSize: 3)
        var prompt = try live.prompt(model: "gemma-3-270m")
        let query = live.queries(for: prompt)[0]
        prompt.exemplars[0].enabled = false
        let second = t.leaf!.formattedExamples()[live.shotIndices[1]].input + prompt.exemplars[1].fields["output"]!
        XCTAssertEqual(live.queries(for: prompt)[0].prompt, "Pick a colour.\n" + second + "\n\n" + query.example.input)
        prompt.exemplars[1].enabled = false
        XCTAssertEqual(live.queries(for: prompt)[0].prompt, "Pick a colour.\n" + query.example.input, "0-shot: task_prefix + the query, as BIG-bench")
        XCTAssertTrue(query.example.input.hasPrefix("In: q") && query.example.input.hasSuffix("\nOut: "))
        XCTAssertTrue(query.example.input.contains("\n  choice: "), "the choices are in the query")
    }

    func testTheDevSetIsScoredByBigBenchsMetric() throws {
        let live = try BigBenchLivePrompt(task: try multipleChoiceTask(), shots: 2, devSize: 4)
        let model = FakeModel()
        model.choiceLogprobs = ["red": -1, "blue": -2]
        var items: [BigBenchItemResult] = []
        let score = try live.run(try live.prompt(model: "m"), model: model) { items.append($0) }
        XCTAssertEqual(score.metric, "multiple_choice_grade")
        XCTAssertEqual(score.items, 4)
        // "red" is right for odd inputs: the grade is the share of odd queries.
        let odd = items.filter { Int(live.input(of: $0).dropFirst())! % 2 == 1 }.count
        XCTAssertEqual(score.score, Double(odd) / 4 * 100, accuracy: 1e-9)
        var stopped = 0
        let partial = try live.run(try live.prompt(model: "m"), model: model, shouldStop: { stopped >= 2 }) { _ in stopped += 1 }
        XCTAssertEqual(partial.items, 2, "a stop request ends the run before the next query")
    }

    func testGenerativeTasksAndSavingLosslessly() throws {
        let examples = #"[{"input": "1+1", "target": "2"}, {"input": "2+2", "target": "4"}, {"input": "3+3", "target": "6"}]"#
        let t = try task(leafJSON(metrics: #"["exact_str_match"]"#, preferred: "exact_str_match", examples: examples))
        let live = try BigBenchLivePrompt(task: t)
        XCTAssertEqual(live.shotIndices.count, 2, "at most one fewer shot than examples")
        XCTAssertEqual(live.devCount, 1)
        let prompt = try live.prompt(model: "gemma-3-270m")
        XCTAssertEqual(prompt.scoring, .exactMatch)
        XCTAssertEqual(prompt.extractor, .regex(BigBenchLeaf.defaultRegex))
        XCTAssertNil(prompt.instruction, "no task_prefix, no instruction")
        var reread = try PromptFile.parse(prompt.yaml(), path: "/tmp/t.yaml")
        reread.path = nil
        XCTAssertEqual(reread, prompt)
        XCTAssertTrue(prompt.yaml().contains("source: \"bigbench:t\""), prompt.yaml())
        let model = FakeModel()
        let sums = ["1+1": "2", "2+2": "4", "3+3": "6"]
        model.output = { p in sums.first { p.hasSuffix($0.key + "\nA: ") }.map { $0.value + "\nQ: more" } ?? "" }
        let score = try live.run(prompt, model: model)
        XCTAssertEqual(score.metric, "exact_str_match")
        XCTAssertEqual(score.items, 1)
        XCTAssertEqual(score.score, 100, "post-processed by BIG-bench's default regex before matching")
    }

    func testTasksThatCannotBePromptsSaySoInOneLine() throws {
        let braces = try task(leafJSON(#""example_input_prefix": "Prove {lemma}: ""#, examples: #"[{"input": "a", "target_scores": {"x": 1, "y": 0}}, {"input": "b", "target_scores": {"x": 0, "y": 1}}]"#))
        XCTAssertThrowsError(try BigBenchLivePrompt(task: braces).prompt(model: "m")) {
            XCTAssertTrue("\($0)".hasPrefix("bigbench:t cannot be a library prompt: template uses unknown field {lemma}"), "\($0)")
        }
        let container = BigBenchTask(name: "c", description: "", keywords: [], leaf: nil, subtasks: [braces])
        XCTAssertThrowsError(try BigBenchLivePrompt(task: container)) { XCTAssertTrue("\($0)".contains("open one of them (c:SUBTASK)"), "\($0)") }
        XCTAssertEqual(BigBenchLivePrompt.libraryName(for: "logical_deduction:three_objects"), "logical_deduction-three_objects")
    }
}
