import XCTest
import PalmtopBigBench

/// Prompt text byte for byte for each formatting field and default (tasks written for these tests).
final class PromptTests: XCTestCase {
    let yesNo = #"[{"input": "Is it?", "target_scores": {"yes": 1, "no": 0}}, {"input": "Or not?", "target_scores": {"no": 1, "yes": 0}}]"#

    func prompt(_ extra: String, shots: Int = 0, examples: String? = nil, metrics: String = #"["multiple_choice_grade"]"#,
                preferred: String = "multiple_choice_grade") throws -> [String] {
        try task(leafJSON(extra, metrics: metrics, preferred: preferred, examples: examples ?? yesNo)).leaf!.queries(shots: shots).map(\.prompt)
    }

    func testDefaultsAppendChoicesInNumpysPermutedOrder() throws {
        // permutation(sorted(["yes", "no"])) with RandomState(42) is ["yes", "no"] (scripts/bigbench_numpy_fixtures.py: [1, 0]).
        XCTAssertEqual(try prompt(""), ["\nQ: Is it?\n  choice: yes\n  choice: no\nA: ", "\nQ: Or not?\n  choice: yes\n  choice: no\nA: "])
    }

    func testChoicesAreScoredInFileOrder() throws {
        let leaf = try task(leafJSON(examples: yesNo)).leaf!
        XCTAssertEqual(leaf.examples[0].choices, ["yes", "no"])
        XCTAssertEqual(leaf.examples[1].choices, ["no", "yes"])
        XCTAssertEqual(leaf.examples[1].targets, ["no"], "no target: the first top-scoring choice")
    }

    func testEveryPrefixOption() throws {
        let extra = #""task_prefix": "Answer.\n", "example_input_prefix": "Input: ", "example_output_prefix": "\nOutput:", "choice_prefix": " | ", "few_shot_example_separator": "\n\n""#
        XCTAssertEqual(try prompt(extra), ["Answer.\nInput: Is it? | yes | no\nOutput:", "Answer.\nInput: Or not? | yes | no\nOutput:"])
        // 1-shot on two examples: queries in permutation(2) order, [1, 0]; each shot is the other example
        // (choosing from one draws nothing) with its target.
        XCTAssertEqual(try prompt(extra, shots: 1), [
            "Answer.\nInput: Is it? | yes | no\nOutput:yes\n\nInput: Or not? | yes | no\nOutput:",
            "Answer.\nInput: Or not? | yes | no\nOutput:no\n\nInput: Is it? | yes | no\nOutput:",
        ])
    }

    func testEmptyPrefixes() throws {
        let extra = #""example_input_prefix": "", "example_output_prefix": "", "choice_prefix": "", "few_shot_example_separator": """#
        XCTAssertEqual(try prompt(extra), ["Is it?yesno", "Or not?yesno"])
        XCTAssertEqual(try prompt(extra, shots: 1), ["Is it?yesnoyesOr not?yesno", "Or not?yesnonoIs it?yesno"])
    }

    func testAppendChoicesToInputUsesPythonTruthiness() throws {
        let appended = ["\nQ: Is it?\n  choice: yes\n  choice: no\nA: ", "\nQ: Or not?\n  choice: yes\n  choice: no\nA: "]
        let plain = ["\nQ: Is it?\nA: ", "\nQ: Or not?\nA: "]
        XCTAssertEqual(try prompt(#""append_choices_to_input": "false""#), appended, "the string \"false\" is true in Python")
        XCTAssertEqual(try prompt(#""append_choices_to_input": true"#), appended)
        XCTAssertEqual(try prompt(#""append_choices_to_input": false"#), plain)
        XCTAssertEqual(try prompt(#""append_choices_to_input": """#), plain, "an empty string is false")
        XCTAssertEqual(try prompt(#""append_choices_to_input": 0"#), plain)
        XCTAssertEqual(try prompt(#""append_choices_to_input": null"#), plain)
    }

    func testGenerativeShotsUseOneOfTheTargetList() throws {
        let examples = #"[{"input": "1+1", "target": ["2", "two"]}, {"input": "2+2", "target": "4"}, {"input": "3+3", "target": ["6"]}]"#
        let leaf = try task(leafJSON(metrics: #"["exact_str_match"]"#, preferred: "exact_str_match", examples: examples)).leaf!
        XCTAssertEqual(leaf.examples.map(\.targets), [["2", "two"], ["4"], ["6"]])
        XCTAssertEqual(leaf.outputRegex, BigBenchLeaf.defaultRegex, "neither output_regex nor stop_string: the default regex")
        let queries = try leaf.queries(shots: 2)
        // Queries are permutation(3) = [0, 1, 2] (the fixture's permutations["3"]), drawn even without a limit.
        XCTAssertEqual(queries.map(\.exampleIndex), [0, 1, 2])
        for q in queries {
            XCTAssertFalse(q.shotIndices.contains(q.exampleIndex))
            XCTAssertTrue(q.prompt.hasSuffix("\nQ: \(leaf.examples[q.exampleIndex].input)\nA: "))
        }
    }

    func testTargetKeptWhenBothTargetAndScoresAreGiven() throws {
        let examples = #"[{"input": "a", "target": "Yes!", "target_scores": {"yes": 1, "no": 0}}, {"input": "b", "target_scores": {"yes": 0, "no": 1}}]"#
        let prompts = try prompt(#""append_choices_to_input": false"#, shots: 1, examples: examples)
        // The shot "a" shows its own target, not its top-scoring choice; "b" has no target: its best choice.
        XCTAssertEqual(prompts, ["\nQ: a\nA: Yes!\n\nQ: b\nA: ", "\nQ: b\nA: no\n\nQ: a\nA: "])
    }

    func testDuplicatesAreDroppedByTheirJSONText() throws {
        let examples = #"[{"input": "a", "target_scores": {"x": 1, "y": 0}}, {"input": "a", "target_scores": {"x": 1, "y": 0}}, {"target_scores": {"x": 1, "y": 0}, "input": "a"}, {"input": "b", "target_scores": {"x": 1, "y": 0.0}}, {"input": "b", "target_scores": {"x": 1, "y": 0}}]"#
        let leaf = try task(leafJSON(examples: examples)).leaf!
        // Same dict in another key order, or 0.0 for 0, is different json.dumps text: kept, as BIG-bench keeps it.
        XCTAssertEqual(leaf.examples.count, 4)
        XCTAssertEqual(leaf.duplicateCount, 1)
        // But Python's == sees them as equal, so an equal example is never a shot for its twin.
        for q in try leaf.queries(shots: 1) {
            let twin = [0: 1, 1: 0, 2: 3, 3: 2][q.exampleIndex]!
            XCTAssertNotEqual(q.shotIndices, [twin], "example \(q.exampleIndex)")
        }
    }

    func testChanceLevelIsTheMeanTargetScore() throws {
        let examples = #"[{"input": "a", "target_scores": {"x": 1, "y": 0}}, {"input": "b", "target_scores": {"x": 1, "y": 0.5, "z": 0, "w": 0}}]"#
        XCTAssertEqual(try task(leafJSON(examples: examples)).leaf!.lowScore, (0.5 + 0.375) / 2, accuracy: 1e-12)
    }

    func testZeroShotLimitDrawsWithoutReplacement() throws {
        let examples = "[" + (0..<10).map { "{\"input\": \"q\($0)\", \"target\": \"a\"}" }.joined(separator: ", ") + "]"
        let leaf = try task(leafJSON(metrics: #"["exact_str_match"]"#, preferred: "exact_str_match", examples: examples)).leaf!
        XCTAssertEqual(try leaf.queries(shots: 0).map(\.exampleIndex), Array(0..<10), "no limit: file order")
        XCTAssertEqual(try leaf.queries(shots: 0, limit: 10).map(\.exampleIndex), Array(0..<10), "a limit as large as the task: file order")
        // choice(10, 4, replace=False) = permutation(10)[:4] = [8, 1, 5, 0].
        XCTAssertEqual(try leaf.queries(shots: 0, limit: 4).map(\.exampleIndex), [8, 1, 5, 0])
        XCTAssertThrowsError(try leaf.queries(shots: 10)) { XCTAssertTrue("\($0)".contains("at least 11 distinct examples"), "\($0)") }
    }
}
