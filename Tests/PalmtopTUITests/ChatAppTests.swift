import XCTest
import PalmtopTestSupport
import PalmtopEngine
import PalmtopTUI

/// The REPL's state machine on the real default models, drawn on the in-memory canvas.
final class ChatAppTests: XCTestCase {
    private func app(_ model: String = "smollm2-135m-instruct", mode: ChatMode = .chat, context: Int = 1024) throws -> ChatApp {
        ChatApp(model: try TestSupport.model(model), options: ChatOptions(mode: mode, contextLimit: context, threads: 2))
    }

    private func type(_ app: ChatApp, _ text: String) {
        for c in text { _ = app.handle(.char(c)) }
    }

    /// Types a line and presses Enter; waits for the reply when it starts a generation.
    private func send(_ app: ChatApp, _ text: String) {
        type(app, text)
        _ = app.handle(.enter)
        XCTAssertTrue(app.waitUntilIdle(timeout: 120), "no reply within 120 s")
    }

    private func screen(_ app: ChatApp, rows: Int = 30, cols: Int = 100) -> MemoryCanvas {
        let canvas = MemoryCanvas(rows: rows, cols: cols)
        app.draw(into: canvas)
        return canvas
    }

    func testStreamsAReplyThenShowsSpeedsAndReusesTheCacheNextTurn() throws {
        let app = try app()
        send(app, "/set max_tokens 120")
        type(app, "Tell me a story about a cat.")
        _ = app.handle(.enter)
        XCTAssertTrue(app.isGenerating)
        let deadline = Date().addingTimeInterval(60)
        while app.conversation.turns.last?.branches.first?.tokens.isEmpty ?? true, Date() < deadline { _ = app.pump() }
        XCTAssertNotNil(screen(app).find("● generating"), "tokens stream while the UI keeps drawing")
        XCTAssertTrue(app.waitUntilIdle(timeout: 120))
        var canvas = screen(app)
        XCTAssertEqual(canvas.find("▌you")?.col, 0)
        XCTAssertNotNil(canvas.find("▌smollm2-135m-instruct"))
        XCTAssertFalse(app.conversation.turns[1].content.isEmpty)
        XCTAssertNotNil(canvas.find("tok/s"))
        XCTAssertNotNil(canvas.find("reused 0 new"))
        send(app, "And a dog?")
        canvas = screen(app)
        let status = canvas.line(canvas.find("tok/s")!.row)
        let reused = Int(String(status.components(separatedBy: "reused ")[1].prefix { $0.isNumber })) ?? 0
        XCTAssertGreaterThan(reused, 20, "the first turn comes from the KV cache: \(status)")
    }

    /// A greedy reply drafts by default and the status bar shows how many drafts were accepted;
    /// `/draft none` switches it off from the next reply.
    func testGreedyRepliesDraftAndTheStatusBarShowsTheAcceptanceRate() throws {
        let app = try app("gemma-3-270m", mode: .complete)
        send(app, "/set temperature 0")
        send(app, "/set max_tokens 24")
        send(app, "one two three four five six seven one two three four five six seven one two three")
        XCTAssertTrue(statusLine(app).contains("draft "), statusLine(app))
        send(app, "/draft none")
        XCTAssertEqual(app.message?.text, "drafting off: one token per pass")
        send(app, "/show")
        XCTAssertNotNil(screen(app).find("draft none"))
        send(app, "one two three four five six seven one two")
        XCTAssertFalse(statusLine(app).contains("draft"), statusLine(app))
    }

    private func statusLine(_ app: ChatApp) -> String {
        let canvas = screen(app, cols: 160)
        return canvas.find("tok/s").map { canvas.line($0.row) } ?? ""
    }

    func testCommandsChangeSettingsAndReportErrorsInTheStatusArea() throws {
        let app = try app()
        send(app, "/set temperature 0.5")
        XCTAssertEqual(app.settings.temperature, 0.5)
        XCTAssertEqual(app.message?.text, "temperature = 0.5 (from the next generation)")
        send(app, "/show")
        XCTAssertNotNil(screen(app).find("temperature        0.5"))
        send(app, "/set temperature hot")
        XCTAssertEqual(app.message?.kind, .error)
        let canvas = screen(app)
        let (row, col) = canvas.find("temperature needs a number, not 'hot'")!
        XCTAssertEqual(row, 29)
        XCTAssertEqual(canvas.role(row, col), .error)
        send(app, "/mode complete")
        XCTAssertEqual(app.mode, .complete)
        send(app, "/nonsense")
        XCTAssertEqual(app.message?.text, "unknown command /nonsense (see /help)")
        type(app, "/pro")
        _ = app.handle(.tab)
        XCTAssertEqual(app.input.text, "/probs ")
        _ = app.handle(.ctrl("u"))
        XCTAssertTrue(app.handle(.ctrl("d")).contains(.quit))
        XCTAssertTrue(app.shouldQuit)
    }

    func testProbabilityColoursAndInspectorBranching() throws {
        let app = try app()
        send(app, "/set temperature 0")
        send(app, "/probs on")
        send(app, "Name three colours.")
        var canvas = screen(app)
        XCTAssertNotNil(canvas.find("token probability:"))
        let reply = canvas.find("▌smollm2-135m-instruct")!.row + 1
        let roles = Set((0..<20).map { canvas.role(reply, $0) })
        XCTAssertFalse(roles.isDisjoint(with: [.probHigh, .probMid, .probLow]), "reply coloured by probability: \(roles)")
        let original = app.conversation.turns[1].branches[0].tokens
        XCTAssertGreaterThan(original.count, 3)

        _ = app.handle(.function(3))
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("token 1/\(original.count)"))
        _ = app.handle(.right)
        _ = app.handle(.right)
        _ = app.handle(.down)
        let alternative = original[2].topRaw[1].id
        _ = app.handle(.enter)
        XCTAssertTrue(app.waitUntilIdle(timeout: 120))
        let turn = app.conversation.turns[1]
        XCTAssertEqual(turn.branches.count, 2)
        XCTAssertEqual(turn.current, 1)
        XCTAssertEqual(turn.branches[1].forkAt, 2)
        XCTAssertEqual(turn.branches[1].tokens.prefix(2).map(\.id), original.prefix(2).map(\.id))
        XCTAssertEqual(turn.branches[1].tokens[2].id, alternative)
        canvas = screen(app)
        XCTAssertNotNil(canvas.find("branch 2/2, forked at token 3"))
        XCTAssertNotNil(canvas.find("token 3/"), "the inspector stays on the fork")
        XCTAssertNotNil(canvas.find("new 1 "), "only the forced token's predecessor is recomputed")
        _ = app.handle(.char("]"))
        XCTAssertEqual(app.conversation.turns[1].current, 0)
        XCTAssertTrue(app.handle(.escape).contains(.handled))
        XCTAssertNil(screen(app).find("Token inspector"))
    }

    func testEscapeStopsAGenerationAndTheNextMessageStillWorks() throws {
        let app = try app()
        send(app, "/set max_tokens 2000")
        type(app, "Write a very long essay about the history of the sea.")
        _ = app.handle(.enter)
        let deadline = Date().addingTimeInterval(60)
        while app.conversation.turns.last?.branches.first?.tokens.count ?? 0 < 3, Date() < deadline { _ = app.pump() }
        XCTAssertGreaterThanOrEqual(app.conversation.turns.last?.branches.first?.tokens.count ?? 0, 3, "the reply streams")
        _ = app.handle(.escape)
        XCTAssertTrue(app.waitUntilIdle(timeout: 60))
        XCTAssertEqual(app.conversation.turns[1].branches[0].stopReason, .cancelled)
        XCTAssertNotNil(screen(app).find("[stopped]"))
        send(app, "/set max_tokens 8")
        send(app, "Hi")
        XCTAssertEqual(app.conversation.turns.count, 4)
    }

    func testFullContextDropsTheOldestTurnsWithANotice() throws {
        let app = try app(context: 128)
        send(app, "/set max_tokens 24")
        for i in 0..<6 { send(app, "Tell me fact number \(i) about the moon, please.") }
        XCTAssertTrue(app.conversation.turns.contains { $0.kind == .warning && $0.text.contains("context (128 tokens) is full") })
        XCTAssertTrue(app.conversation.turns.first!.dropped)
        XCTAssertNotNil(screen(app, rows: 80).find("(dropped from the context)"))
    }

    func testCompletionModeContinuesTheText() throws {
        let app = try app("gemma-3-270m", mode: .complete)
        send(app, "/set temperature 0")
        send(app, "/set max_tokens 8")
        type(app, "Q: What is the capital of France?")
        _ = app.handle(.ctrl("j"))
        send(app, "A:")
        XCTAssertEqual(app.conversation.turns[0].text, "Q: What is the capital of France?\nA:")
        XCTAssertTrue(app.conversation.turns[1].content.contains("Paris"), app.conversation.turns[1].content)
        _ = app.handle(.enter)  // an empty line continues the text
        XCTAssertTrue(app.waitUntilIdle(timeout: 60))
        XCTAssertEqual(app.conversation.turns.filter { $0.kind == .assistant }.count, 2)
    }

    func testModelSwitchingLoadsInTheBackground() throws {
        let app = try app()
        send(app, "/model no-such-model")
        XCTAssertEqual(app.message?.kind, .error)
        send(app, "/model gemma-3-270m")
        XCTAssertEqual(app.backend.modelName, "gemma-3-270m")
        XCTAssertTrue(app.message?.text.hasPrefix("gemma-3-270m (gemma3) ready") ?? false, "\(String(describing: app.message))")
        send(app, "/set max_tokens 4")
        send(app, "Hello")
        XCTAssertNotNil(screen(app).find("▌gemma-3-270m"))
        send(app, "/model smollm2-135m-instruct")
        send(app, "Hello again")
        XCTAssertEqual(app.conversation.turns.filter { $0.kind == .assistant }.count, 2)
    }

    func testSaveAndLoadRestoreTheConversation() throws {
        let app = try app()
        send(app, "/set max_tokens 8")
        send(app, "/set seed 77")
        send(app, "Hello")
        let path = NSTemporaryDirectory() + "palmtop-chat-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: path + "~") }
        send(app, "/save \(path)")
        let saved = app.conversation
        send(app, "/clear")
        XCTAssertTrue(app.conversation.turns.isEmpty)
        send(app, "/set seed 1")
        send(app, "/load \(path)")
        XCTAssertEqual(app.conversation, saved)
        XCTAssertEqual(app.settings.seed, 77)
        send(app, "/load /nonexistent/file.json")
        XCTAssertEqual(app.message?.kind, .error)
    }

    func testASmallTerminalGetsAMessageUntilItGrows() throws {
        let app = try app()
        let canvas = MemoryCanvas(rows: 20, cols: 60)
        app.draw(into: canvas)
        XCTAssertNotNil(canvas.find("Palmtop needs a terminal of at least 80×24."))
        XCTAssertNotNil(canvas.find("This one is 60×20"))
        canvas.resize(rows: 24, cols: 80)
        XCTAssertTrue(app.handle(.resize).contains(.redraw))
        app.draw(into: canvas)
        XCTAssertNil(canvas.find("Palmtop needs"))
        XCTAssertNotNil(canvas.find("F1 help"))
    }
}
