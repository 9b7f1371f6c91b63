import XCTest
import PalmtopEngine
import PalmtopTUI

/// Transcript, status bar, hint bar and help, drawn on the in-memory canvas.
final class PanelTests: XCTestCase {
    private func transcript(_ texts: [(String, Role)]) -> TranscriptPanel {
        let panel = TranscriptPanel()
        panel.blocks = texts.map { TranscriptBlock(TextLayout.styled($0.0, $0.1)) }
        return panel
    }

    func testTranscriptWrapsByColumnsAndKeepsRoles() {
        let panel = transcript([("▌you\nこんにちは世界 hello", .user), ("fine 👍🏽 thanks", .assistant)])
        let canvas = MemoryCanvas(rows: 6, cols: 10)
        panel.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 10, height: 6))
        XCTAssertEqual(canvas.text, "▌you\nこんにちは\n世界 hello\n\nfine 👍🏽\nthanks")
        XCTAssertEqual(canvas.role(1, 0), .user)
        XCTAssertEqual(canvas.role(4, 5), .assistant)
    }

    func testTranscriptReflowsWhenTheWidthChanges() {
        let panel = transcript([("one two three four five six seven eight", .text)])
        let canvas = MemoryCanvas(rows: 4, cols: 40)
        panel.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 40, height: 4))
        XCTAssertEqual(canvas.line(0).trimmingCharacters(in: .whitespaces), "one two three four five six seven eight")
        canvas.resize(rows: 4, cols: 12)
        panel.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 12, height: 4))
        XCTAssertEqual(canvas.text, "one two\nthree four\nfive six\nseven eight")
    }

    func testTranscriptFollowsTheEndAndScrollsByPages() {
        let panel = transcript([((1...20).map { "line \($0)" }.joined(separator: "\n"), .text)])
        let canvas = MemoryCanvas(rows: 5, cols: 30)
        let rect = Rect(row: 0, col: 0, width: 30, height: 5)
        panel.draw(into: canvas, rect: rect)
        XCTAssertEqual(canvas.line(4).trimmingCharacters(in: .whitespaces), "line 20")
        XCTAssertTrue(panel.handle(.pageUp).contains(.handled))
        canvas.clear()
        panel.draw(into: canvas, rect: rect)
        XCTAssertEqual(canvas.line(0).trimmingCharacters(in: .whitespaces), "line 12")
        XCTAssertTrue(canvas.line(4).contains("↓ 4 more lines"))
        // New text below a scrolled-up view does not move it.
        panel.blocks.append(TranscriptBlock(TextLayout.styled("more", .text)))
        canvas.clear()
        panel.draw(into: canvas, rect: rect)
        XCTAssertEqual(canvas.line(0).trimmingCharacters(in: .whitespaces), "line 12")
        _ = panel.handle(.pageDown)
        _ = panel.handle(.pageDown)
        canvas.clear()
        panel.draw(into: canvas, rect: rect)
        XCTAssertEqual(canvas.line(4).trimmingCharacters(in: .whitespaces), "more")
    }

    func testProbabilityLegendIsPinnedAboveTheText() {
        let panel = transcript([("text", .probLow)])
        panel.header = ProbabilityBand.legend()
        let canvas = MemoryCanvas(rows: 3, cols: 80)
        panel.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 80, height: 3))
        XCTAssertTrue(canvas.line(0).contains("■ p ≥ 0.6"))
        let (_, col) = canvas.find("■ p < 0.2")!
        XCTAssertEqual(canvas.role(0, col), .probLow)
        XCTAssertEqual(canvas.role(1, 0), .probLow)
        XCTAssertEqual(ProbabilityBand.of(0.9), .high)
        XCTAssertEqual(ProbabilityBand.of(0.3), .mid)
        XCTAssertEqual(ProbabilityBand.of(0.01), .low)
    }

    func testStatusBarDropsTheLeastImportantFieldsFirst() {
        let info = StatusInfo(model: "smollm2-135m-instruct", architecture: "llama", mode: .chat, contextUsed: 312, contextLimit: 4096,
                              reused: 290, computed: 22, prefillRate: 850, decodeRate: 45.2, sampler: "T=0.8 k=40 p=0.95 min_p=0.05")
        let wide = StatusBar.fields(info, width: 200).map(\.text)
        XCTAssertEqual(wide, ["smollm2-135m-instruct", "llama", "chat", "ctx 312/4096", "reused 290 new 22", "pp 850 tg 45.2 tok/s",
                              "T=0.8 k=40 p=0.95 min_p=0.05"])
        var drafting = info
        drafting.draftAcceptance = 0.734
        XCTAssertTrue(StatusBar.fields(drafting, width: 200).map(\.text).contains("draft 73%"))
        let narrow = StatusBar.fields(info, width: 80).map(\.text)
        XCTAssertTrue(narrow.contains("pp 850 tg 45.2 tok/s"))
        XCTAssertTrue(narrow.contains("ctx 312/4096"))
        XCTAssertFalse(narrow.contains("llama"))
        let bar = StatusBar()
        bar.info = info
        let canvas = MemoryCanvas(rows: 1, cols: 80)
        bar.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 80, height: 1))
        XCTAssertTrue(canvas.line(0).contains("tok/s"))
        XCTAssertEqual(canvas.role(0, 79), .status)
        XCTAssertEqual(canvas.role(0, 1), .statusAccent)
    }

    func testHintBarShowsTheKeyTableOrAMessage() {
        let hints = HintBar()
        hints.hints = HintBar.globalHints
        let canvas = MemoryCanvas(rows: 1, cols: 100)
        hints.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 100, height: 1))
        XCTAssertTrue(canvas.line(0).hasPrefix("F1 help F2 sampling F3 inspect"))
        XCTAssertEqual(canvas.role(0, 0), .hintKey)
        XCTAssertEqual(canvas.role(0, 3), .hint)
        hints.message = StatusMessage("unknown command /foo", .error)
        hints.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 100, height: 1))
        XCTAssertEqual(canvas.line(0).trimmingCharacters(in: .whitespaces), "unknown command /foo")
        XCTAssertEqual(canvas.role(0, 1), .error)
    }

    func testHelpListsEveryCommandAndKey() {
        let lines = HelpOverlay.lines()
        for c in SlashCommand.catalog { XCTAssertTrue(lines.contains { $0.keys.hasPrefix("/" + c.name) }, "/\(c.name) missing from help") }
        for b in KeyTable.global { XCTAssertTrue(lines.contains { $0.text == b.help }) }
        let help = HelpOverlay()
        let canvas = MemoryCanvas(rows: 24, cols: 80)
        help.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 80, height: 22))
        XCTAssertNotNil(canvas.find("Help — Esc closes"))
        XCTAssertTrue(help.handle(.escape).contains(.close))
    }
}
