import XCTest
import PalmtopTestSupport

/// Prompt files are shared, so a hostile one must cost bounded time and memory: each of these is
/// refused with one line naming the file and exit 1, before the document is materialized.
final class HostileFileTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-hostile-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func prompt(_ name: String, stop: String, description: String = "test") -> String {
        """
        name: \(name)
        description: \(description)
        model: gemma-3-270m
        mode: complete
        template: "Q: {input}\\nA: {output}"
        query: "Q: {input}\\nA:"
        exemplars:
          - input: "1"
            output: "2"
        extractor:
          kind: first-line
        sampling:
          stop: \(stop)
        scoring: exact-match

        """
    }

    func assertRefused(_ path: String, mentioning words: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try CLIRun.run(["eval", path, "--limit", "1"])
        XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(path) && r.stderr.contains(words), r.stderr, file: file, line: line)
    }

    /// Nine levels of anchors, each a list of nine aliases of the one before: 2 KB, 387 million values.
    func testAnAliasBombIsRefused() throws {
        var levels = ["&l0 [\(Array(repeating: "\"lol\"", count: 9).joined(separator: ", "))]"]
        for i in 1...8 { levels.append("&l\(i) [\(Array(repeating: "*l\(i - 1)", count: 9).joined(separator: ", "))]") }
        let path = dir.appendingPathComponent("bomb.yaml").path
        try prompt("bomb", stop: "[\(levels.joined(separator: ", "))]").write(toFile: path, atomically: true, encoding: .utf8)
        try assertRefused(path, mentioning: "aliases")
    }

    func testDeepNestingIsRefused() throws {
        let path = dir.appendingPathComponent("deep.yaml").path
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        try prompt("deep", stop: deep).write(toFile: path, atomically: true, encoding: .utf8)
        try assertRefused(path, mentioning: "nested")
    }

    /// 200 MB (a sparse file, so the test writes nothing): refused from its size before it is read.
    func testAHugeFileIsRefusedBeforeReading() throws {
        let path = dir.appendingPathComponent("huge.yaml").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(prompt("huge", stop: "[]", description: "x").utf8)))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 200 << 20)
        try handle.close()
        try assertRefused(path, mentioning: "limit")
    }

    func testADeeplyNestedDevSetLineIsRefused() throws {
        let path = dir.appendingPathComponent("nested.yaml").path
        try (prompt("nested", stop: "[]") + "dev: nested.dev.jsonl\n").write(toFile: path, atomically: true, encoding: .utf8)
        let line = "{\"input\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + ", \"output\": \"2\"}\n"
        try line.write(toFile: dir.appendingPathComponent("nested.dev.jsonl").path, atomically: true, encoding: .utf8)
        let r = try CLIRun.run(["eval", path, "--limit", "1"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("nested.dev.jsonl:1") && r.stderr.contains("nested"), r.stderr)
    }
}
