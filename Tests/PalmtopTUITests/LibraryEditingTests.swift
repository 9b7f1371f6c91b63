import XCTest
import PalmtopTestSupport
import PalmtopEngine
import PalmtopPrompts
import PalmtopTUI

/// Editing a library on the in-memory canvas: the exemplar list (add, delete, reorder, preview),
/// the browser's file operations, and the recovery file that keeps what the user typed.
final class LibraryEditingTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "palmtop-library-editing-\(getpid())"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let shipped = TestSupport.packageRoot.appendingPathComponent("prompts")
        for file in ["antonyms.yaml", "antonyms.dev.jsonl"] {
            try FileManager.default.copyItem(at: shipped.appendingPathComponent(file), to: URL(fileURLWithPath: "\(directory)/\(file)"))
        }
        setenv("PALMTOP_PROMPTS", directory, 1)
        // No shipped templates: the list is exactly this folder, whatever the checkout ships.
        setenv("PALMTOP_SHIPPED_PROMPTS", directory + "/none", 1)
    }

    override func tearDown() {
        unsetenv("PALMTOP_PROMPTS")
        unsetenv("PALMTOP_SHIPPED_PROMPTS")
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func app() throws -> ChatApp {
        ChatApp(model: try TestSupport.model("gemma-3-270m"), options: ChatOptions(mode: .complete, contextLimit: 1024, threads: 2))
    }

    private func screen(_ app: ChatApp) -> MemoryCanvas {
        let canvas = MemoryCanvas(rows: 40, cols: 110)
        app.draw(into: canvas)
        return canvas
    }

    private func press(_ app: ChatApp, _ keys: Key...) { for k in keys { _ = app.handle(k) } }
    private func type(_ app: ChatApp, _ text: String) { for c in text { _ = app.handle(.char(c)) } }

    /// F4, then Enter on the only prompt.
    private func openAntonyms(_ app: ChatApp) {
        press(app, .function(4))
        type(app, "antonyms")
        press(app, .enter)
    }

    private var antonymsPath: String { directory + "/antonyms.yaml" }
    private var recoveryPath: String { directory + "/.antonyms.yaml.recovery" }

    func testAddDeleteReorderAndPreviewExemplars() throws {
        let app = try app()
        openAntonyms(app)
        press(app, .char("a"))  // after exemplar 1, opened for editing
        type(app, "tall")
        press(app, .tab)
        type(app, "short")
        press(app, .enter)
        var canvas = screen(app)
        XCTAssertNotNil(canvas.find("[x] 2. tall  →  short"), canvas.text)
        XCTAssertNotNil(canvas.find("[x] 3. big  →  small"))

        press(app, .char("["))
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("[x] 1. tall  →  short"), "[ moves the exemplar up:\n\(canvas.text)")
        press(app, .char("]"), .char("]"))
        XCTAssertNotNil(screen(app).find("[x] 3. tall  →  short"))

        press(app, .char("x"))
        XCTAssertNotNil(screen(app).find("delete exemplar 3 (tall  →  short)?  (y/n)"))
        press(app, .char("q"))  // not an answer: the question stays
        XCTAssertNotNil(screen(app).find("delete exemplar 3"))
        press(app, .char("n"))
        XCTAssertNotNil(screen(app).find("[x] 3. tall"), "n keeps it")
        press(app, .char("x"), .char("y"))
        canvas = screen(app)
        XCTAssertNil(canvas.find("tall"))
        XCTAssertNotNil(canvas.find("5/5 exemplars on"))

        press(app, .char(" "), .char("p"))  // exemplar 3 off, then the preview
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("assembled prompt — instruction · exemplar 1 · exemplar 2 · query"), canvas.text)
        let instruction = try XCTUnwrap(canvas.find("Give the opposite of each word."))
        XCTAssertTrue(canvas.line(instruction.row).hasPrefix("│ instr"), canvas.line(instruction.row))
        XCTAssertEqual(canvas.role(instruction.row, instruction.col), .notice)
        let first = try XCTUnwrap(canvas.find("ex 1   Word: hot"))
        XCTAssertEqual(canvas.role(first.row, first.col + 7), .user)
        XCTAssertEqual(canvas.role(try XCTUnwrap(canvas.find("Word: big")).row, first.col + 7), .fork, "neighbours alternate colours")
        XCTAssertNil(canvas.find("Word: up"), "a disabled exemplar is not in the prompt")
        XCTAssertNotNil(canvas.find("ex 4   Word: happy"), "the gutter keeps the exemplar's own number")
        let query = try XCTUnwrap(canvas.find("query  Word: …"))
        XCTAssertEqual(canvas.role(query.row, query.col + 7), .accent)
    }

    func testBrowserCreatesDuplicatesRenamesAndDeletes() throws {
        let app = try app()
        press(app, .function(4), .ctrl("n"))
        type(app, "bad name")
        press(app, .enter)
        XCTAssertEqual(app.message?.kind, .error, "a name with a space is refused and the field stays open")
        press(app, .ctrl("u"))
        type(app, "fresh")
        press(app, .enter)
        var canvas = screen(app)
        XCTAssertNotNil(canvas.find("› fresh"), canvas.text)
        XCTAssertNotNil(canvas.find("1/1 exemplars on"))
        let fresh = try PromptFile.load(nameOrPath: directory + "/fresh.yaml")
        XCTAssertEqual(fresh.exemplars.count, 1)

        press(app, .ctrl("t"))
        XCTAssertNotNil(screen(app).find("duplicate fresh as: fresh-copy"))
        press(app, .enter)
        XCTAssertNotNil(screen(app).find("› fresh-copy"))
        press(app, .ctrl("r"), .ctrl("u"))
        type(app, "renamed")
        press(app, .enter)
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("› renamed"), canvas.text)
        XCTAssertEqual(PromptLibrary.names(in: URL(fileURLWithPath: directory)), ["antonyms", "fresh", "renamed"])
        XCTAssertEqual(try PromptFile.load(nameOrPath: directory + "/renamed.yaml").name, "renamed")

        press(app, .ctrl("x"))
        XCTAssertNotNil(screen(app).find("delete renamed? (the file is kept as renamed.yaml~)  (y/n)"))
        press(app, .char("y"))
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("› fresh"), canvas.text)
        XCTAssertEqual(PromptLibrary.names(in: URL(fileURLWithPath: directory)), ["antonyms", "fresh"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/renamed.yaml~"))
    }

    func testTypedTextSurvivesAKillAndIsOfferedBack() throws {
        var app = try app()
        openAntonyms(app)
        press(app, .char("e"), .ctrl("u"))
        type(app, "warm")  // still typing: not stored in the exemplar yet
        let recovered = try PromptFile.parse(String(contentsOfFile: recoveryPath, encoding: .utf8), path: "<recovery>")
        XCTAssertEqual(recovered.exemplars[0].fields["input"], "warm", "every key is autosaved")
        XCTAssertFalse(PromptLibrary.names(in: URL(fileURLWithPath: directory)).contains { $0.contains("recovery") })

        // The process dies here: a new app finds the recovery file.
        app = try self.app()
        press(app, .function(4))
        XCTAssertNotNil(screen(app).find("unsaved changes were autosaved"))
        press(app, .enter)
        var canvas = screen(app)
        XCTAssertNotNil(canvas.find("restore the unsaved changes from 20"), canvas.text)
        XCTAssertNotNil(canvas.find("[x] 1. hot"), "nothing changes before the answer")
        press(app, .char("y"))
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("[x] 1. warm  →  cold"), canvas.text)
        XCTAssertNotNil(canvas.find("antonyms (modified)"))
        press(app, .char("s"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: recoveryPath), "saving removes the recovery file")
        XCTAssertEqual(try PromptFile.load(nameOrPath: antonymsPath).exemplars[0].fields["input"], "warm")

        // Declining the offer discards the recovery file; leaving with changes asks first.
        press(app, .char(" "))
        XCTAssertTrue(FileManager.default.fileExists(atPath: recoveryPath))
        press(app, .escape)
        XCTAssertNotNil(screen(app).find("leave without saving?"))
        press(app, .char("n"))
        XCTAssertNotNil(screen(app).find("exemplar editor"), "n stays in the editor")
        app = try self.app()
        openAntonyms(app)
        press(app, .char("n"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: recoveryPath))
        XCTAssertNotNil(screen(app).find("[x] 1. warm"))
        press(app, .char(" "), .escape, .char("y"))
        XCTAssertNotNil(screen(app).find("Prompt library"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: recoveryPath), "discarding on leave removes it")
        XCTAssertTrue(try PromptFile.load(nameOrPath: antonymsPath).exemplars[0].enabled)
    }
}
