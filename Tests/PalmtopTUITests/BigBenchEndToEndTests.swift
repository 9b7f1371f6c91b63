import XCTest
import Foundation
import PalmtopBigBench
import PalmtopTestSupport

/// A real BIG-bench Lite task in the REPL's library, driven through tmux: open it, run its dev set,
/// switch a shot off, run again and see BIG-bench's score change, then grow the dev set with the
/// exemplars left as they are. Skipped, with the reason, only
/// when BIG-bench is not pulled (`make bigbench`).
final class BigBenchEndToEndTests: XCTestCase {
    /// Small (46 examples, short questions, two choices each) and multiple choice; its first shot
    /// moves SmolLM2-135M's score on the ten queries.
    static let task = "known_unknowns"

    func testSwitchingOffAShotChangesTheScore() throws {
        let store = BigBenchStore()
        guard (try? store.manifest()) != nil else {
            throw XCTSkip("BIG-bench is not installed in \(store.directory.path) (make bigbench could not fetch it); the REPL's BIG-bench test is skipped")
        }
        let binary = try TmuxPane.binary()
        let library = NSTemporaryDirectory() + "palmtop-e2e-bigbench-\(getpid())"
        try? FileManager.default.removeItem(atPath: library)
        defer { try? FileManager.default.removeItem(atPath: library) }
        let pane = TmuxPane(name: "bigbench")
        try pane.start(width: 120, height: 40)
        defer { pane.stop() }

        try pane.type("PALMTOP_PROMPTS='\(library)' '\(binary)' chat --model smollm2-135m-instruct --mode complete")
        try pane.waitFor("F1 help", timeout: 30)
        try pane.send("F4")
        try pane.waitFor("Prompt library")
        try pane.send("bigbench:\(Self.task)", literal: true)
        try pane.waitFor("› bigbench:\(Self.task) ·lite")
        try pane.send("Enter")
        try pane.waitFor("(bigbench:\(Self.task): s saves it as a library prompt) — exemplar editor", timeout: 10)
        try pane.waitFor("· BIG-bench multiple_choice_grade")
        try pane.waitFor("dev set: the first 10 of")

        try pane.send("d")
        let first = try pane.waitFor("the first run's score", timeout: 120) { $0.contains("over 10 queries (chance") }
        XCTAssertNotNil(first.range(of: #"dev set: multiple_choice_grade [0-9.]+ over 10 queries"#, options: .regularExpression), first)
        try pane.send("Space")
        try pane.waitFor("[ ] 1.")
        try pane.send("d")
        let second = try pane.waitFor("the second run's before → after", timeout: 120) { $0.contains("before → after:") }
        let line = try XCTUnwrap(second.split(separator: "\n").first { $0.contains("before → after:") }, second)
        let scores = line.components(separatedBy: "before → after: ")[1].components(separatedBy: " → ")
            .map { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: " │"))) }
        XCTAssertEqual(scores.count, 2, String(line))
        XCTAssertNotEqual(scores[0], scores[1], "switching off shot 1 should move the score: \(line)")

        // + scores more of the task's other examples; the exemplars on screen stay as they are.
        func exemplarRows(_ screen: String) -> [Substring] { screen.split(separator: "\n").filter { $0.range(of: #"\[[ x]\] [0-9]+\. "#, options: .regularExpression) != nil } }
        try pane.send("+", literal: true)
        let grown = try pane.waitFor("the dev set grown to 20", timeout: 10) { $0.contains("dev set: the first 20 of") }
        XCTAssertEqual(exemplarRows(grown), exemplarRows(second), grown)
        XCTAssertEqual(exemplarRows(grown).count, 3, grown)

        try pane.send("Escape")
        try pane.waitFor("leave without saving?")
        try pane.send("y")
        try pane.waitFor("Prompt library")
        try pane.send("Escape")
        _ = try pane.waitFor("the library to close", timeout: 10) { !$0.contains("Prompt library") && $0.contains("F1 help") }
        try pane.send("C-d")
        try pane.waitForShell()
    }
}
