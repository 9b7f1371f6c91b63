import XCTest
import PalmtopTestSupport

/// `palmtop eval bigbench:…`, `palmtop bigbench list|show`: JSON shapes and one-line errors (exit 1).
final class BigBenchCLITests: XCTestCase {
    func requireInstalled() throws {
        let home = ProcessInfo.processInfo.environment["PALMTOP_HOME"] ?? (NSHomeDirectory() + "/.cache/palmtop")
        guard FileManager.default.fileExists(atPath: home + "/bigbench/manifest.json") else {
            throw XCTSkip("BIG-bench is not installed (make bigbench could not fetch it); BIG-bench CLI tests skipped")
        }
    }

    func testNotInstalledSaysHowToPull() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("bb-cli-empty-\(getpid())").path
        let r = try CLIRun.run(["eval", "bigbench:winowhy"], environment: ["PALMTOP_HOME": empty])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("run: palmtop pull bigbench"), r.stderr)
    }

    func testBadInputIsOneLineWithExit1() throws {
        try requireInstalled()
        let cases: [([String], String)] = [
            (["eval", "bigbench:winowhi"], "unknown BIG-bench task 'winowhi'; closest: winowhy"),
            (["eval", "bigbench:logical_deduction:seven"], "logical_deduction has no subtask 'seven'; closest: "),
            (["eval", "bigbench:boolean_expressions"], "programmatic"),
            (["eval", "bigbench:novel_concepts", "--shots", "40"], "40 shots need at least 41 distinct examples; the task has 32"),
            (["eval", "bigbench:conlang_translation"], "Palmtop does not compute rougeLsum; choose one of exact_str_match with --metric"),
            (["eval", "bigbench:bbq_lite_json", "--limit", "5"], "must be at least the number of subtasks (18)"),
            (["eval", "bigbench:winowhy", "--metric", "bleu"], "is not scored by bleu"),
        ]
        for (args, message) in cases {
            let r = try CLIRun.run(args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }

    func testEvalJSONLinesAndSummary() throws {
        try requireInstalled()
        // Four queries, not fewer: SmolLM2 gets only the fourth right, and a run scoring 0 everywhere
        // could not tell the summary's 0–100 scale from the items' 0–1 one.
        let r = try CLIRun.run(["eval", "bigbench:novel_concepts", "--shots", "1", "--limit", "4", "--json", "-m", "smollm2-135m-instruct"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(lines.count, 5)
        guard lines.count == 5 else { return }
        for item in lines.prefix(4) {
            let choices = item["choices"] as! [String], logprobs = item["logprobs"] as! [Double]
            XCTAssertEqual(choices.count, logprobs.count)
            XCTAssertTrue(choices.contains(item["prediction"] as! String))
            XCTAssertNotNil(item["prompt"] as? String)
            XCTAssertNotNil(item["targets"] as? [String])
            XCTAssertNotNil(item["score"] as? Double)
        }
        let summary = lines[4]
        XCTAssertEqual(summary["task"] as? String, "novel_concepts")
        XCTAssertEqual(summary["shots"] as? Int, 1)
        XCTAssertEqual(summary["items"] as? Int, 4)
        XCTAssertEqual(summary["metric"] as? String, "multiple_choice_grade")
        XCTAssertNotNil(summary["chance"] as? Double)
        // An item's score is on BIG-bench's 0–1 scale; the summary's is their mean on the 0–100 scale
        // BIG-bench reports multiple_choice_grade on (a renormalized metric: PalmtopBigBench/Runner.swift),
        // and the same figure is in `scores` under the metric's name.
        let itemScores = lines.prefix(4).compactMap { $0["score"] as? Double }
        XCTAssertEqual(itemScores.count, 4)
        XCTAssertTrue(itemScores.allSatisfy { (0...1).contains($0) }, "\(itemScores)")
        let score = try XCTUnwrap(summary["score"] as? Double, "\(summary)")
        XCTAssertEqual(score, itemScores.reduce(0, +) / Double(itemScores.count) * 100, accuracy: 1e-9)
        XCTAssertEqual((summary["scores"] as? [String: Double])?["multiple_choice_grade"] ?? -1, score, accuracy: 1e-9)
        XCTAssertEqual((summary["not_computed"] as? [String: String])?["expected_calibration_error"], "not implemented in Palmtop")
    }

    /// `--parallel B` decodes generative queries B at once yet prints them in query order, each the
    /// same as one at a time (greedy), with the same scores — on a small task written for the tests.
    func testGenerativeParallelMatchesOneAtATime() throws {
        let model = TestSupport.modelPath("smollm2-135m-instruct")
        guard FileManager.default.fileExists(atPath: model) else { throw XCTSkip("smollm2-135m-instruct is not installed") }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-bb-parallel-\(getpid())")
        try? FileManager.default.removeItem(at: home)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try FileManager.default.createSymbolicLink(at: home.appendingPathComponent("bigbench"),
                                                   withDestinationURL: TestSupport.fixture("bigbench/store"))
        func run(_ parallel: Int) throws -> [NSDictionary] {
            let r = try CLIRun.run(["eval", "bigbench:palmtop_test_opposites", "--shots", "1", "--parallel", "\(parallel)", "--json", "-m", model],
                                   environment: ["PALMTOP_HOME": home.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! NSDictionary }
        }
        let one = try run(1), four = try run(4)
        XCTAssertEqual(one.count, 6, "five queries and the summary")
        XCTAssertEqual(four.dropLast().map { $0["index"] as? Int }, Array(0..<5), "query order")
        XCTAssertEqual(four.dropLast(), one.dropLast(), "each item as one at a time")
        for key in ["score", "scores", "items", "metric"] {
            XCTAssertEqual(four.last?[key] as? NSObject, one.last?[key] as? NSObject, key)
        }
    }

    func testListAndShow() throws {
        try requireInstalled()
        let list = try CLIRun.run(["bigbench", "list", "--lite", "--json"])
        XCTAssertEqual(list.status, 0, list.stderr)
        let tasks = list.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(tasks.count, 24)
        let bbq = tasks.first { $0["name"] as? String == "bbq_lite_json" }!
        XCTAssertEqual((bbq["subtasks"] as? [String])?.count, 18)
        XCTAssertEqual(bbq["type"] as? String, "multiple_choice")
        let show = try CLIRun.run(["bigbench", "show", "winowhy"])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("append_choices_to_input: false"), show.stdout)
        XCTAssertTrue(show.stdout.contains("── first example, 0-shot prompt ──"), show.stdout)
    }
}
