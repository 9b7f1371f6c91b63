import XCTest
import PalmtopBigBench

/// The runner's scoring and bad-input handling, on a scripted model.
final class RunnerTests: XCTestCase {
    func testMultipleChoiceGradeBrierAndChance() throws {
        let examples = #"[{"input": "a", "target_scores": {"x": 1, "y": 0}}, {"input": "b", "target_scores": {"y": 1, "x": 0}}, {"input": "c", "target_scores": {"x": 0.5, "y": 1}}]"#
        let t = try task(leafJSON(examples: examples))
        let model = FakeModel()
        model.choiceLogprobs = ["x": -1, "y": -2]
        var items: [BigBenchItemResult] = []
        let s = try BigBenchRunner(task: t, shots: 0).run(model: model) { items.append($0) }
        XCTAssertEqual(items.map(\.prediction), ["x", "x", "x"])
        XCTAssertEqual(items.map(\.score), [1, 0, 0.5])
        XCTAssertEqual(items[1].choices, ["y", "x"], "choices in file order")
        XCTAssertEqual(items[1].logprobs, [-2, -1])
        XCTAssertEqual(s.metric, "multiple_choice_grade")
        XCTAssertEqual(s.score, 50, accuracy: 1e-9)
        XCTAssertEqual(s.chance, (0.5 + 0.5 + 0.75) / 3 * 100, accuracy: 1e-9)
        XCTAssertNotNil(s.leaves[0].metrics["calibration_multiple_choice_brier_score"])
        XCTAssertEqual(model.scoredPrompts, items.map(\.prompt))
    }

    func testGenerativeExactAndCaseInsensitiveWithEarlyStop() throws {
        let examples = #"[{"input": "1+1", "target": ["2", "two"]}, {"input": "2+2", "target": "Four"}]"#
        let t = try task(leafJSON(metrics: #"["exact_str_match", "case_insensitive_str_match", "bleu"]"#, preferred: "exact_str_match", examples: examples))
        let model = FakeModel()
        model.output = { $0.contains("1+1") ? "two. And then a long ramble" : " four\nQ: more" }
        var items: [BigBenchItemResult] = []
        let s = try BigBenchRunner(task: t, shots: 0).run(model: model) { items.append($0) }
        XCTAssertEqual(items.map(\.output), ["two", " four"])
        XCTAssertEqual(items.map(\.rawOutput), ["two.", " four\n"], "generation stops once the default regex has its match")
        XCTAssertEqual(s.score, 50)
        XCTAssertEqual(s.leaves[0].metrics["case_insensitive_str_match"], 100)
        XCTAssertEqual(s.leaves[0].notComputed["bleu"], "not implemented in Palmtop")
    }

    func testContainerAveragesSubtasks() throws {
        let a = try task(leafJSON(examples: #"[{"input": "a", "target_scores": {"x": 1, "y": 0}}, {"input": "b", "target_scores": {"x": 1, "y": 0}}]"#))
        let b = try task(leafJSON(examples: #"[{"input": "c", "target_scores": {"x": 0, "y": 1}}, {"input": "d", "target_scores": {"x": 0, "y": 1}}]"#))
        let container = BigBenchTask(name: "c", description: "", keywords: [], leaf: nil,
                                     subtasks: [rename(a, "c:a"), rename(b, "c:b")])
        let model = FakeModel()
        model.choiceLogprobs = ["x": -1, "y": -2]
        let s = try BigBenchRunner(task: container, shots: 0, limit: 2).run(model: model)
        XCTAssertEqual(s.items, 2, "the limit is split across the subtasks")
        XCTAssertEqual(s.leaves.map(\.score), [100, 0])
        XCTAssertEqual(s.score, 50)
        XCTAssertThrowsError(try BigBenchRunner(task: container, shots: 0, limit: 1).run(model: model)) {
            XCTAssertTrue("\($0)".contains("at least the number of subtasks"), "\($0)")
        }
    }

    func rename(_ t: BigBenchTask, _ name: String) -> BigBenchTask {
        BigBenchTask(name: name, description: t.description, keywords: t.keywords, leaf: t.leaf, subtasks: [])
    }

    func testBadRunsFailBeforeTheModelRuns() throws {
        let mc = try task(leafJSON(examples: #"[{"input": "a", "target_scores": {"x": 1, "y": 0}}, {"input": "b", "target_scores": {"x": 1, "y": 0}}]"#))
        let rouge = try task(leafJSON(metrics: #"["rouge", "exact_str_match"]"#, preferred: "rougeLsum", examples: #"[{"input": "a", "target": "b"}]"#))
        let model = FakeModel()
        let cases: [(BigBenchRunner, String)] = [
            (BigBenchRunner(task: mc, shots: 2), "2 shots need at least 3 distinct examples; the task has 2"),
            (BigBenchRunner(task: rouge, shots: 0), "Palmtop does not compute rougeLsum; choose one of exact_str_match with --metric"),
            (BigBenchRunner(task: mc, shots: 0, metric: "exact_str_match"), "is not scored by exact_str_match"),
        ]
        for (runner, message) in cases {
            XCTAssertThrowsError(try runner.run(model: model)) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
        XCTAssertTrue(model.scoredPrompts.isEmpty && model.generatedPrompts.isEmpty)
        let s = try BigBenchRunner(task: rouge, shots: 0, metric: "exact_str_match").run(model: model)
        XCTAssertEqual(s.leaves[0].notComputed["rougeLsum"], "not implemented in Palmtop")
    }
}
