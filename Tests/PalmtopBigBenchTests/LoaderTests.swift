import XCTest
import PalmtopBigBench

/// Task files: BIG-bench's validity rules, subtasks and names, and the store's lookups.
final class LoaderTests: XCTestCase {
    func testInvalidTasksSayWhy() {
        let cases: [(String, String)] = [
            (leafJSON(metrics: #"["accuracy"]"#, examples: "[]"), "Metric accuracy not supported."),
            (leafJSON(preferred: "rouge", examples: "[]"), "preferred_score 'rouge'"),
            (leafJSON(examples: #"[{"input": "a", "target": "b"}]"#), "required for multiple choice metric"),
            (leafJSON(examples: #"[{"input": "a", "target_scores": {"x": 0, "y": 0}}]"#), "No correct choice"),
            (leafJSON(examples: #"[{"target_scores": {"x": 1}}]"#), "missing a target or input"),
            (#"{"name": "t", "description": "", "keywords": [], "metrics": [], "preferred_score": "exact_str_match", "examples": []}"#, "needs a canary"),
            ("[1, 2", "invalid JSON"),
        ]
        for (json, message) in cases {
            XCTAssertThrowsError(try task(json)) { XCTAssertTrue("\($0)".contains(message), "\(json): \($0)") }
        }
    }

    func testJSONParserKeepsOrderAndHandlesEscapes() throws {
        let v = try JSONValue.parse(Data(#"{"b": 1, "a": [true, null, -2.5e1], "s": "\u00e9\ud83d\ude00\n\"", "b": 2}"#.utf8))
        XCTAssertEqual(v.members?.map(\.key), ["b", "a", "s"], "file order; a repeated key keeps its place and its last value")
        XCTAssertEqual(v["b"]?.double, 2)
        XCTAssertEqual(v["s"]?.string, "é😀\n\"")
        XCTAssertEqual(v["a"]?.array?.count, 3)
        for bad in ["", "{", "[1,]", "\"\u{01}\"", "01x", "{\"a\" 1}", String(repeating: "[", count: 10_000)] {
            XCTAssertThrowsError(try JSONValue.parse(Data(bad.utf8)), bad.prefix(20).debugDescription)
        }
    }

    func testSubtasksAreNamedParentChildAndSortedByPath() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bb-loader-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let parent = root.appendingPathComponent("parent")
        try write(#"{"canary": "c", "name": "Parent", "description": "d", "keywords": []}"#, to: parent)
        // "a_b" sorts after "a" because "/" < "_" in the full path, as in BIG-bench's sorted() of paths.
        for (dir, name) in [("a_b", "second"), ("a", "first\u{e9}"), ("zz", "third")] {
            try write(leafJSON(examples: #"[{"input": "q", "target_scores": {"x": 1, "y": 0}}]"#).replacingOccurrences(of: #""name": "t""#, with: "\"name\": \"\(name)\""),
                      to: parent.appendingPathComponent(dir))
        }
        try FileManager.default.createDirectory(at: parent.appendingPathComponent("not-a-task"), withIntermediateDirectories: true)
        let t = try BigBenchTask.load(directory: parent)
        XCTAssertEqual(t.subtasks.map(\.name), ["Parent:first?", "Parent:second", "Parent:third"])
        XCTAssertEqual(t.exampleCount, 3)
        XCTAssertEqual(t.preferredScore, "multiple_choice_grade")
    }

    func write(_ json: String, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: dir.appendingPathComponent("task.json"))
    }

    func testClosestNames() {
        XCTAssertTrue(BigBenchStore.suggestion(for: "winowy", among: ["strategyqa", "winowhy", "operators"]).hasPrefix("; closest: winowhy, "))
        XCTAssertTrue(BigBenchStore.suggestion(for: "logic", among: ["logic_grid_puzzle", "logical_deduction", "emoji_movie"]).hasPrefix("; closest: logic_grid_puzzle, logical_deduction"))
    }
}
