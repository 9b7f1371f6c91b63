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

    /// Forty examples: more than a dev-set run starts with.
    func fortyExamples() throws -> BigBenchTask {
        let examples = (1...40).map { i in #"{"input": "q\#(i)", "target_scores": {"red": \#(i % 2), "blue": \#(1 - i % 2)}}"# }
        return try task(leafJSON(examples: "[\(examples.joined(separator: ", "))]"))
    }

    /// What keeps the exemplars still when the dev set is resized: BIG-bench draws its first N queries
    /// as the first N of one permutation, and the first query's shots after it, so neither the query
    /// order nor those shots depend on N. numpy agrees: `RandomState(42)`'s `choice(40, N, replace=False)`
    /// starts [19, 16, 15] for N = 1, 5 and 40, and the `choice(39, 3, replace=False)` after it is
    /// [22, 0, 26] each time, positions among the examples other than 19: examples 23, 0 and 27.
    func testBigBenchsFirstShotsAndQueryOrderDoNotDependOnTheLimit() throws {
        let leaf = try fortyExamples().leaf!
        for shots in 1...3 {
            let all = try leaf.queries(shots: shots)
            XCTAssertEqual(all.map(\.exampleIndex), leaf.queryOrder(), "\(shots) shots")
            for limit in [1, 2, 13, 39, 40] {
                let some = try leaf.queries(shots: shots, limit: limit)
                XCTAssertEqual(some.map(\.exampleIndex), Array(leaf.queryOrder().prefix(limit)), "\(shots) shots, limit \(limit)")
                XCTAssertEqual(some[0].shotIndices, all[0].shotIndices, "\(shots) shots, limit \(limit)")
                XCTAssertEqual(some[0].shotTargets, all[0].shotTargets, "\(shots) shots, limit \(limit)")
            }
        }
        XCTAssertEqual(Array(leaf.queryOrder().prefix(3)), [19, 16, 15])
        XCTAssertEqual(try leaf.queries(shots: 3, limit: 1)[0].shotIndices, [23, 0, 27])
    }

    /// The dev set is every other example, in BIG-bench's order: a run scores the first `devSize`, which
    /// `+` and `-` step through 10, 20, 50 … all, and the queries at each size are `--limit`'s less the shots.
    func testTheDevSetIsEveryOtherExampleAndItsSizeLeavesTheExemplarsAlone() throws {
        let t = try fortyExamples()
        var live = try BigBenchLivePrompt(task: t)
        let prompt = try live.prompt(model: "m")
        XCTAssertEqual(live.available, 37)
        XCTAssertEqual(live.devCount, BigBenchLivePrompt.defaultDevSize)
        XCTAssertEqual(live.sizes, [10, 20, 37])
        let shots = live.shotIndices
        var seen: [Int] = []
        for (step, expected) in [(true, 20), (true, 37), (true, 37), (false, 20), (false, 10), (false, 10)] {
            live.resize(to: step ? live.largerSize : live.smallerSize)
            XCTAssertEqual(live.devCount, expected)
            XCTAssertEqual(live.shotIndices, shots)
            XCTAssertEqual(try live.prompt(model: "m"), prompt, "the exemplars do not depend on the size")
            let queries = live.queries(for: prompt).map(\.exampleIndex)
            let bigBench = try t.leaf!.queries(shots: 3, limit: expected + 3).map(\.exampleIndex).filter { !shots.contains($0) }
            XCTAssertEqual(queries, Array(bigBench.prefix(expected)), "size \(expected)")
            if expected == 37 { seen = queries }
        }
        XCTAssertEqual(Set(seen + shots), Set(0..<40), "at its largest the dev set is every example but the shots")
        live.resize(to: 0)
        XCTAssertEqual(live.devCount, 1, "at least one query")
        live.resize(to: 1000)
        XCTAssertEqual(live.devCount, 37)
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
