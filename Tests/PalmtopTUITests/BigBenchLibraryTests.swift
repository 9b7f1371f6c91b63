import XCTest
import PalmtopTestSupport
import PalmtopEngine
import PalmtopPrompts
import PalmtopTUI

/// The library's BIG-bench section on a store of small tasks written here (never BIG-bench's data):
/// listing, opening a task as a live prompt, its dev set by BIG-bench's metric, leave-one-out, and
/// "save as"; and what a backend that cannot score marks in the list.
final class BigBenchLibraryTests: XCTestCase {
    private var root = ""
    private var model: Model!

    override func setUpWithError() throws {
        // The model comes from the real store before PALMTOP_HOME points at the test's.
        model = try TestSupport.model("smollm2-135m-instruct")
        root = NSTemporaryDirectory() + "palmtop-bigbench-library-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root + "/prompts", withIntermediateDirectories: true)
        setenv("PALMTOP_PROMPTS", root + "/prompts", 1)
        setenv("PALMTOP_SHIPPED_PROMPTS", root + "/none", 1)
        setenv("PALMTOP_HOME", root + "/home", 1)
    }

    override func tearDown() {
        for name in ["PALMTOP_PROMPTS", "PALMTOP_SHIPPED_PROMPTS", "PALMTOP_HOME"] { unsetenv(name) }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A store with a multiple-choice task (colour words; the model is sure of few) and a generative one.
    private func installTasks() throws {
        let tasks = root + "/home/bigbench/tasks"
        func put(_ path: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: (tasks + "/" + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: tasks + "/" + path, atomically: true, encoding: .utf8)
        }
        let things = [("grass", "green"), ("snow", "white"), ("the sky", "blue"), ("coal", "black"), ("a banana", "yellow"),
                      ("blood", "red"), ("an orange", "orange"), ("a lemon", "yellow"), ("milk", "white"), ("a tomato", "red")]
        let colours = ["green", "white", "blue", "black", "yellow", "red", "orange"]
        let mc = things.map { thing, colour in
            #"{"input": "What colour is \#(thing)?", "target_scores": {"# + colours.map { #""\#($0)": \#($0 == colour ? 1 : 0)"# }.joined(separator: ", ") + "}}"
        }
        try put("colours/task.json", #"{"canary": "test", "name": "colours", "description": "Name the colour of a thing.", "keywords": ["test"], "#
                + #""metrics": ["multiple_choice_grade"], "preferred_score": "multiple_choice_grade", "append_choices_to_input": false, "examples": ["#
                + mc.joined(separator: ", ") + "]}")
        let parity = (1...30).map { #"{"input": "Is \#($0) even?", "target_scores": {"yes": \#(1 - $0 % 2), "no": \#($0 % 2)}}"# }
        try put("parity/task.json", #"{"canary": "test", "name": "parity", "description": "Even or odd.", "keywords": ["test"], "#
                + #""metrics": ["multiple_choice_grade"], "preferred_score": "multiple_choice_grade", "examples": ["# + parity.joined(separator: ", ") + "]}")
        try put("sums/task.json", #"{"canary": "test", "name": "sums", "description": "Add.", "keywords": ["test"], "metrics": ["exact_str_match"], "#
                + #""preferred_score": "exact_str_match", "examples": [{"input": "1+1", "target": "2"}, {"input": "2+2", "target": "4"}]}"#)
        let manifest = """
            {"version": "1.0.0", "sha256": "test", "invalid": {}, "programmatic": [], "lite": ["colours"], "bytes": 1, "tasks": [
             {"name": "colours", "type": "multiple_choice", "examples": 10, "preferredMetric": "multiple_choice_grade", "subtasks": [], "lite": true,
              "description": "Name the colour of a thing."},
             {"name": "parity", "type": "multiple_choice", "examples": 30, "preferredMetric": "multiple_choice_grade", "subtasks": [], "lite": false,
              "description": "Even or odd."},
             {"name": "sums", "type": "generative", "examples": 2, "preferredMetric": "exact_str_match", "subtasks": [], "lite": false, "description": "Add."}]}
            """
        try manifest.write(toFile: root + "/home/bigbench/manifest.json", atomically: true, encoding: .utf8)
    }

    private func screen(_ app: ChatApp) -> MemoryCanvas {
        let canvas = MemoryCanvas(rows: 30, cols: 120)
        app.draw(into: canvas)
        return canvas
    }

    private func type(_ text: String, into app: ChatApp) { for c in text { _ = app.handle(.char(c)) } }

    func testWithoutBigBenchTheLibrarySaysHowToPullIt() throws {
        let app = ChatApp(model: model, options: ChatOptions(contextLimit: 1024, threads: 2))
        _ = app.handle(.function(4))
        type("bigbench", into: app)
        let canvas = screen(app)
        XCTAssertNotNil(canvas.find("› bigbench (not pulled)"), canvas.text)
        XCTAssertNotNil(canvas.find("Its 167 JSON tasks"), canvas.text)
        _ = app.handle(.enter)
        XCTAssertEqual(app.message?.text, "BIG-bench is not installed in \(root)/home/bigbench; run: palmtop pull bigbench")
    }

    func testOpenATaskSwitchAShotOffRunLeaveOneOutAndSaveAs() throws {
        try installTasks()
        let app = ChatApp(model: model, options: ChatOptions(contextLimit: 1024, threads: 2))
        _ = app.handle(.function(4))
        type("colours", into: app)
        var canvas = screen(app)
        XCTAssertNotNil(canvas.find("› bigbench:colours ·lite"), canvas.text)
        XCTAssertNotNil(canvas.find("BIG-bench Lite · multiple_choice · 10 examples"), canvas.text)
        _ = app.handle(.enter)
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("colours (bigbench:colours: s saves it as a library prompt) — exemplar editor"), canvas.text)
        XCTAssertNotNil(canvas.find("dev set: all 7 other examples, scored by multiple_choice_grade"), canvas.text)
        XCTAssertNotNil(canvas.find("[x] 3. "), canvas.text)

        _ = app.handle(.char("d"))
        XCTAssertTrue(app.waitUntilIdle(timeout: 120))
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("dev set: multiple_choice_grade "), canvas.text)
        XCTAssertNotNil(canvas.find("over 7 queries (chance"), canvas.text)
        XCTAssertNotNil(canvas.find("logp "), "each choice's log-probability is listed")
        _ = app.handle(.char(" "))
        _ = app.handle(.char("d"))
        XCTAssertTrue(app.waitUntilIdle(timeout: 120))
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("[ ] 1."), canvas.text)
        XCTAssertNotNil(canvas.find("before → after: "), canvas.text)

        _ = app.handle(.char("l"))
        XCTAssertTrue(app.waitUntilIdle(timeout: 300))
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("leave-one-out: multiple_choice_grade"), canvas.text)
        XCTAssertNotNil(canvas.find("[ ]    off  1."), canvas.text)
        for i in [2, 3] {
            let row = try XCTUnwrap(canvas.find("  \(i). "), canvas.text).row
            XCTAssertNotNil(canvas.line(row).range(of: #"\[x\] +([+−]\d+\.\d|±0\.0)  \#(i)\. "#, options: .regularExpression), canvas.line(row))
        }

        _ = app.handle(.char("s"))
        XCTAssertNotNil(screen(app).find("save bigbench:colours as: colours"))
        _ = app.handle(.enter)
        let path = root + "/prompts/colours.yaml"
        let saved = try PromptFile.load(nameOrPath: path)
        XCTAssertEqual(saved.source, "bigbench:colours")
        XCTAssertEqual(saved.exemplars.map(\.enabled), [false, true, true])
        XCTAssertEqual(saved.instructionSeparator, nil, "the task has no task_prefix")
        XCTAssertNotNil(screen(app).find("colours — exemplar editor"), "the editor now edits the saved file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/home/bigbench/tasks/colours/task.json~"), "the task's file is never written")

        // The saved prompt is an ordinary library prompt whose dev set is still the task's.
        _ = app.handle(.escape)
        _ = app.handle(.ctrl("u"))
        type("colours", into: app)
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("› colours"), canvas.text)
        _ = app.handle(.enter)
        _ = app.handle(.char("d"))
        XCTAssertTrue(app.waitUntilIdle(timeout: 120))
        XCTAssertNotNil(screen(app).find("dev set: multiple_choice_grade "), screen(app).text)
    }

    /// `+` and `-` step the dev set through 10, 20 … all of the task's other examples; the exemplars
    /// on screen stay as they are (no model runs here).
    func testPlusAndMinusSizeTheDevSetAndLeaveTheExemplarsAlone() throws {
        try installTasks()
        let app = ChatApp(model: model, options: ChatOptions(contextLimit: 1024, threads: 2))
        _ = app.handle(.function(4))
        type("parity", into: app)
        _ = app.handle(.enter)
        var canvas = screen(app)
        XCTAssertNotNil(canvas.find("dev set: the first 10 of 27 other examples, scored by multiple_choice_grade — d runs it, + - changes how many"), canvas.text)
        func exemplars(_ canvas: MemoryCanvas) throws -> [String] {
            try (1...3).map { canvas.line(try XCTUnwrap(canvas.find("[x] \($0). "), canvas.text).row) }
        }
        let before = try exemplars(canvas)
        let sizes: [(key: Character, message: String)] = [
            ("+", "dev set: the first 20 of 27 other examples"), ("+", "dev set: all 27 other examples"), ("+", "dev set: all 27 other examples"),
            ("-", "dev set: the first 20 of 27 other examples"), ("-", "dev set: the first 10 of 27 other examples"),
        ]
        for (key, message) in sizes {
            _ = app.handle(.char(key))
            XCTAssertEqual(app.message?.text, message + ", scored by multiple_choice_grade (the exemplars stay as they are)")
            canvas = screen(app)
            XCTAssertEqual(try exemplars(canvas), before, "after \(key)")
        }
        XCTAssertFalse(canvas.text.contains("(modified)"), "resizing the dev set does not change the prompt")
    }

    func testABackendThatCannotScoreMarksItsRowsAndDoesNotRun() throws {
        try installTasks()
        let shipped = TestSupport.packageRoot.appendingPathComponent("prompts")
        for name in ["sentiment.yaml", "sentiment.dev.jsonl", "antonyms.yaml", "antonyms.dev.jsonl"] {
            try FileManager.default.copyItem(atPath: shipped.appendingPathComponent(name).path, toPath: root + "/prompts/" + name)
        }
        let app = ChatApp(backend: NoScoringBackend(LocalBackend(model: model, contextLimit: 1024)), options: ChatOptions(contextLimit: 1024, threads: 2))
        _ = app.handle(.function(4))
        var canvas = MemoryCanvas(rows: 30, cols: 160)
        app.draw(into: canvas)
        XCTAssertNotNil(canvas.find("sentiment ·cannot score here"), canvas.text)
        XCTAssertNotNil(canvas.find("bigbench:colours ·lite ·cannot score here"), canvas.text)
        XCTAssertNil(canvas.find("antonyms ·cannot"), "exact match needs no prompt log-probabilities")
        XCTAssertNil(canvas.find("sums ·cannot"), "nor does a generative task")
        type("senti", into: app)
        canvas = MemoryCanvas(rows: 30, cols: 160)
        app.draw(into: canvas)
        XCTAssertNotNil(canvas.find("its dev set cannot run here: this test server returns no prompt log-probabilities"), canvas.text)
        _ = app.handle(.enter)
        _ = app.handle(.char("d"))
        XCTAssertEqual(app.message?.text, "this test server returns no prompt log-probabilities")
        XCTAssertNil(screen(app).find("running the dev set"), "nothing started")
    }
}

/// The in-process engine posing as a server without prompt log-probabilities (as llama-server is).
private final class NoScoringBackend: ModelBackend, @unchecked Sendable {
    let inner: LocalBackend
    init(_ inner: LocalBackend) { self.inner = inner }

    var capabilities: BackendCapabilities {
        var c = BackendCapabilities()
        c.scoring = false
        c.scoringApart = false
        c.scoringLimitation = "this test server returns no prompt log-probabilities"
        return c
    }
    var modelName: String { inner.modelName }
    var architecture: String { "test server" }
    var location: String { "a test server" }
    var contextLimit: Int { inner.contextLimit }
    var supportsChat: Bool { inner.supportsChat }
    var chatTemplate: ChatTemplate? { inner.chatTemplate }
    var contextInUse: Int? { nil }
    var tokenTotals: (reused: Int, computed: Int)? { nil }
    func tokens(for prompt: BackendPrompt) -> [Int]? { nil }
    func tokenize(_ text: String, parseSpecial: Bool) throws -> [Int] { try inner.tokenize(text, parseSpecial: parseSpecial) }
    func detokenize(_ tokens: [Int]) throws -> String { try inner.detokenize(tokens) }
    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, Error> { inner.generate(request) }
    func score(prompt: String, choices: [String], parseSpecial: Bool) throws -> [ChoiceScore] { throw BackendError(capabilities.scoringLimitation!) }
    func promptLogprobs(_ prompt: String, topN: Int) throws -> [PromptTokenScore] { throw BackendError(capabilities.scoringLimitation!) }
    func cancel() { inner.cancel() }
    func reset() { inner.reset() }
    func makeSibling() -> ModelBackend { NoScoringBackend(inner.makeSibling() as! LocalBackend) }
}
