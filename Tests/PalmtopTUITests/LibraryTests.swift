import XCTest
import PalmtopTestSupport
import PalmtopEngine
import PalmtopPrompts
import PalmtopTUI

/// The prompt library browser and the exemplar editor, driven through the app on a copy of a shipped prompt.
final class LibraryTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "palmtop-library-\(getpid())"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let shipped = TestSupport.packageRoot.appendingPathComponent("prompts")
        try FileManager.default.copyItem(at: shipped.appendingPathComponent("sentiment.yaml"),
                                         to: URL(fileURLWithPath: directory + "/sentiment.yaml"))
        // Four dev items keep the run short.
        let dev = try String(contentsOf: shipped.appendingPathComponent("sentiment.dev.jsonl"), encoding: .utf8)
        try dev.split(separator: "\n").prefix(4).joined(separator: "\n").write(toFile: directory + "/sentiment.dev.jsonl", atomically: true, encoding: .utf8)
        try "name: broken\ntemplate: [unclosed\n".write(toFile: directory + "/broken.yaml", atomically: true, encoding: .utf8)
        setenv("PALMTOP_PROMPTS", directory, 1)
        // No shipped templates: the list is exactly this folder, whatever the checkout ships.
        setenv("PALMTOP_SHIPPED_PROMPTS", directory + "/none", 1)
    }

    override func tearDown() {
        unsetenv("PALMTOP_PROMPTS")
        unsetenv("PALMTOP_SHIPPED_PROMPTS")
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func screen(_ app: ChatApp) -> MemoryCanvas {
        let canvas = MemoryCanvas(rows: 30, cols: 110)
        app.draw(into: canvas)
        return canvas
    }

    func testBrowseEditRunTheDevSetAndSave() throws {
        let app = ChatApp(model: try TestSupport.model("smollm2-135m-instruct"), options: ChatOptions(contextLimit: 1024, threads: 2))
        _ = app.handle(.function(4))
        var canvas = screen(app)
        XCTAssertNotNil(canvas.find("› broken"))
        XCTAssertNotNil(canvas.find("This prompt file does not load:"), "a bad file shows its error:\n\(canvas.text)")
        for c in "senti" { _ = app.handle(.char(c)) }
        canvas = screen(app)
        XCTAssertNil(canvas.find("broken"))
        XCTAssertNotNil(canvas.find("gemma-3-270m · complete · rank-choices"))
        _ = app.handle(.enter)
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("sentiment — exemplar editor"))
        XCTAssertNotNil(canvas.find("[x] 1."))
        _ = app.handle(.char(" "))
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("[ ] 1."))
        XCTAssertNotNil(canvas.find("sentiment (modified)"))

        _ = app.handle(.char("d"))
        XCTAssertTrue(app.waitUntilIdle(timeout: 120))
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("/4 correct"), canvas.text)
        XCTAssertNotNil(canvas.find("prompt tokens reused"))
        let marks = canvas.line(canvas.find("/4 correct")!.row + 1)
        XCTAssertEqual(marks.filter { $0 == "✓" || $0 == "✗" }.count, 4)
        // The results list gives every item, with each choice's summed log-probability.
        XCTAssertNotNil(canvas.find("dev-set results"), canvas.text)
        let scores = try XCTUnwrap(canvas.find("    logp positive -"), canvas.text)
        XCTAssertTrue(canvas.line(scores.row).contains(" · negative -"))
        XCTAssertEqual(canvas.text.components(separatedBy: "logp positive").count - 1, 4)

        _ = app.handle(.char("s"))
        let saved = try PromptFile.load(nameOrPath: directory + "/sentiment.yaml")
        XCTAssertFalse(saved.exemplars[0].enabled)
        XCTAssertTrue(saved.exemplars[1].enabled)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/sentiment.yaml~"), "the previous version is kept")
        XCTAssertTrue(app.handle(.escape).contains(.handled))
        XCTAssertNotNil(screen(app).find("Prompt library"))
    }

    /// `l` on an ordinary library prompt (BigBenchLibraryTests covers it on a BIG-bench task): with
    /// exemplar 1 switched off, the dev set runs with the other three on, then once without each of
    /// them; each exemplar's row shows its effect in accuracy points (score with it − without it) and
    /// the switched-off one "off". The figures are checked against the same runs made here through the
    /// library's Evaluator on the same model, in the order the editor runs them.
    func testLeaveOneOutOnALibraryPrompt() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let app = ChatApp(model: model, options: ChatOptions(contextLimit: 1024, threads: 2))
        _ = app.handle(.function(4))
        for c in "senti" { _ = app.handle(.char(c)) }
        _ = app.handle(.enter)
        XCTAssertNotNil(screen(app).find("sentiment — exemplar editor"), screen(app).text)
        _ = app.handle(.char(" "))
        _ = app.handle(.char("l"))
        XCTAssertTrue(app.waitUntilIdle(timeout: 300))
        let canvas = screen(app)

        var prompt = try PromptFile.load(nameOrPath: directory + "/sentiment.yaml")
        prompt.exemplars[0].enabled = false
        let items = try prompt.loadDevSet()
        XCTAssertEqual(items.count, 4)
        let backend = LocalBackend(model: model, contextLimit: 1024)
        func accuracy(_ p: PromptFile) throws -> (correct: Int, percent: Double) {
            let s = try Evaluator(prompt: p, backend: backend).run(items: items)
            return (s.correct, Double(s.correct) / Double(s.total) * 100)
        }
        let baseline = try accuracy(prompt)
        XCTAssertNotNil(canvas.find(String(format: "leave-one-out: %d/4 correct (%.1f%%) with all on", baseline.correct, baseline.percent)),
                        canvas.text)
        XCTAssertNotNil(canvas.find("[ ]    off  1."), canvas.text)
        let variants = ExemplarAblation.variants(of: prompt)
        XCTAssertEqual(variants.map(\.left), [3, 2, 1], "the switched-on exemplars, last first")
        for (left, variant) in variants {
            let effect = baseline.percent - (try accuracy(variant)).percent
            let column = abs(effect) < 0.05 ? "±0.0" : (effect > 0 ? "+" : "−") + String(format: "%.1f", abs(effect))
            let row = try XCTUnwrap(canvas.find("  \(left + 1). "), canvas.text).row
            XCTAssertTrue(canvas.line(row).contains("[x] " + String(repeating: " ", count: max(6 - column.count, 0)) + column + "  \(left + 1). "),
                          "exemplar \(left + 1), effect \(effect): \(canvas.line(row))")
        }
    }
}
