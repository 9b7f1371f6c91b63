import XCTest
import PalmtopBigBench

/// Installing from a source package (a small one made here, shaped like BIG-bench's) and finding tasks in it.
final class StoreTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("bb-store-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func makePackage() throws -> URL {
        let src = root.appendingPathComponent("src/bigbench-1.0.0/bigbench")
        let tasks = src.appendingPathComponent("benchmark_tasks")
        func put(_ path: String, _ text: String) throws {
            let url = tasks.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let mc = leafJSON(examples: #"[{"input": "q1", "target_scores": {"x": 1, "y": 0}}, {"input": "q2", "target_scores": {"x": 0, "y": 1}}]"#)
        try put("alpha/task.json", mc.replacingOccurrences(of: #""name": "t""#, with: #""name": "alpha""#))
        try put("alpha/README.md", "not unpacked")
        try put("prog/task.py", "# a programmatic task")
        try put("group/task.json", #"{"canary": "c", "name": "group", "description": "a container", "keywords": []}"#)
        try put("group/one/task.json", mc.replacingOccurrences(of: #""name": "t""#, with: #""name": "one""#))
        try put("group/two/task.json", leafJSON(metrics: #"["exact_str_match"]"#, preferred: "exact_str_match", examples: #"[{"input": "a", "target": "b"}]"#)
            .replacingOccurrences(of: #""name": "t""#, with: #""name": "two""#))
        try put("broken/task.json", leafJSON(metrics: #"["nonsense"]"#, examples: "[]"))
        try FileManager.default.createDirectory(at: src.appendingPathComponent("bbseqio"), withIntermediateDirectories: true)
        try Data("BIGBENCH_LITE_TASK_NAMES = {\n    \"bigbench_lite_v1\": [\n      'alpha',\n      'group'\n    ]\n}\n".utf8)
            .write(to: src.appendingPathComponent("bbseqio/bigbench_lite.py"))
        let archive = root.appendingPathComponent("bigbench-1.0.0.tar.gz")
        try shell(["tar", "-czf", archive.path, "-C", root.appendingPathComponent("src").path, "bigbench-1.0.0"])
        return archive
    }

    @discardableResult
    func shell(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "\(args)")
        return String(decoding: data, as: UTF8.self)
    }

    func testInstallIndexesTasksAndRefusesWhatCannotRun() throws {
        let archive = try makePackage()
        let sha = String(try shell(["sha256sum", archive.path]).prefix(64))
        let store = BigBenchStore(directory: root.appendingPathComponent("home/bigbench"))
        XCTAssertThrowsError(try store.load("alpha")) { XCTAssertTrue("\($0)".contains("run: palmtop pull bigbench"), "\($0)") }
        XCTAssertThrowsError(try store.install(from: archive, expectedSHA256: String(repeating: "0", count: 64)) { _ in }) {
            XCTAssertTrue("\($0)".contains("checksum mismatch"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.directory.path), "nothing installed after a failed check")
        var lines: [String] = []
        let manifest = try store.install(from: archive, expectedSHA256: sha) { lines.append($0) }
        XCTAssertEqual(manifest.tasks.map(\.name), ["alpha", "group"])
        XCTAssertEqual(manifest.programmatic, ["prog"])
        XCTAssertEqual(manifest.lite, ["alpha", "group"])
        XCTAssertEqual(manifest.invalid.keys.sorted(), ["broken"])
        XCTAssertEqual(manifest.tasks[1].subtasks, ["group:one", "group:two"])
        XCTAssertEqual(manifest.tasks[1].type, "multiple_choice+generative")
        XCTAssertTrue(lines.last!.contains("on disk"), lines.last!)
        // Only task.json files were unpacked, and no staging folders are left.
        let files = FileManager.default.enumerator(atPath: store.directory.path)!.compactMap { $0 as? String }.filter { $0.contains(".") }
        XCTAssertEqual(Set(files), ["manifest.json", "tasks/alpha/task.json", "tasks/group/task.json", "tasks/group/one/task.json",
                                    "tasks/group/two/task.json", "tasks/broken/task.json"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.directory.deletingLastPathComponent().path), ["bigbench"])

        XCTAssertEqual(try store.load("group:two").name, "group:two")
        XCTAssertEqual(try store.load("group").subtasks.count, 2)
        // A subtask is read alone: a damaged sibling does not stop it from loading.
        let sibling = store.directory.appendingPathComponent("tasks/group/one/task.json")
        let intact = try Data(contentsOf: sibling)
        try Data("{".utf8).write(to: sibling)
        XCTAssertEqual(try store.load("group:two").leaf?.examples.count, 1)
        XCTAssertThrowsError(try store.load("group"))
        try intact.write(to: sibling)
        let errors: [(String, String)] = [
            ("prog", "prog is a programmatic BIG-bench task (task.py); Palmtop runs JSON tasks only"),
            ("alpah", "unknown BIG-bench task 'alpah'; closest: alpha"),
            ("group:three", "group has no subtask 'three'; closest: "),
            ("alpha:x", "alpha has no subtasks"),
            ("broken", "broken does not load: t: Metric nonsense not supported."),
        ]
        for (name, message) in errors {
            XCTAssertThrowsError(try store.load(name)) { XCTAssertTrue("\($0)".hasPrefix(message), "\($0)") }
        }
        let again = try store.install(from: archive, expectedSHA256: sha) { _ in }
        XCTAssertEqual(again.tasks.count, 2, "installing over an existing copy replaces it")
    }
}
