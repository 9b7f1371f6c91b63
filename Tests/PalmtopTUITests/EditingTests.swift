import XCTest
import PalmtopTUI

/// The text buffer's Emacs operations, the key decoder and the input editor.
final class EditingTests: XCTestCase {
    func testEmacsOperations() {
        var b = TextBuffer("hello big world")
        b.deleteWordBackward()
        XCTAssertEqual(b.text, "hello big ")
        b.toLineStart()
        b.right()
        b.killToLineEnd()
        XCTAssertEqual(b.text, "h")
        b.insert("ey you")
        b.left(); b.left(); b.left()
        b.killToLineStart()
        XCTAssertEqual(b.text, "you")
        XCTAssertEqual(b.cursor, 0)
        b.deleteForward()
        b.toEnd()
        b.backspace()
        XCTAssertEqual(b.text, "o")
    }

    func testLinesOfAMultiLineBuffer() {
        var b = TextBuffer("first\nsecond line\nx")
        XCTAssertTrue(b.moveLine(-1))
        XCTAssertEqual(b.cursor, 7)  // column 1 of "second line"
        b.toLineEnd()
        XCTAssertEqual(b.cursor, 17)
        XCTAssertTrue(b.moveLine(-1))
        XCTAssertEqual(b.cursor, 5)  // clamped to the end of "first"
        XCTAssertFalse(b.moveLine(-1))
        b.toLineStart()
        b.killToLineEnd()
        b.killToLineEnd()  // at the end of the line: joins the next one
        XCTAssertEqual(b.text, "second line\nx")
    }

    func testKeyDecoding() {
        XCTAssertEqual(KeyDecoder.decode(character: 13), .enter)
        XCTAssertEqual(KeyDecoder.decode(character: 10), .ctrl("j"))
        XCTAssertEqual(KeyDecoder.decode(character: 4), .ctrl("d"))
        XCTAssertEqual(KeyDecoder.decode(character: 127), .backspace)
        XCTAssertEqual(KeyDecoder.decode(character: 27), .escape)
        XCTAssertEqual(KeyDecoder.decode(character: 0x4E2D), .char("中"))
        XCTAssertEqual(KeyDecoder.withAlt(.enter), .altEnter)
        XCTAssertEqual(KeyDecoder.withAlt(.char("x")), .alt("x"))
        XCTAssertEqual(KeyDecoder.decode(functionKey: 0o410 + 3), .function(3))
        XCTAssertEqual(KeyDecoder.decode(functionKey: 0o632), .resize)
        XCTAssertEqual(Key.ctrl("d").label, "^D")
    }

    func testInputEditorSendsInsertsNewlinesAndRecallsHistory() {
        let input = InputPanel()
        for c in "hi" { _ = input.handle(.char(c)) }
        _ = input.handle(.altEnter)
        _ = input.handle(.char("x"))
        XCTAssertEqual(input.text, "hi\nx")
        XCTAssertTrue(input.handle(.enter).contains(.submit))
        XCTAssertEqual(input.take(), "hi\nx")
        XCTAssertTrue(input.isEmpty)
        // Keys the editor leaves to the global table on an empty line.
        XCTAssertFalse(input.handle(.ctrl("d")).contains(.handled))
        XCTAssertFalse(input.handle(.char("?")).contains(.handled))
        XCTAssertFalse(input.handle(.function(2)).contains(.handled))
        _ = input.handle(.char("a"))
        _ = input.handle(.up)
        XCTAssertEqual(input.text, "hi\nx")
        _ = input.handle(.down)  // inside the recalled text: moves to its second line
        _ = input.handle(.down)
        XCTAssertEqual(input.text, "a")
        XCTAssertTrue(input.handle(.char("?")).contains(.handled))
    }

    func testInputEditorWrapsAndPlacesTheCursor() {
        let input = InputPanel()
        input.replace(with: "中文中文中文中文")
        let canvas = MemoryCanvas(rows: 3, cols: 12)
        XCTAssertEqual(input.preferredHeight(width: 12), 2)
        input.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 12, height: 2))
        XCTAssertEqual(canvas.line(0), "› 中文中文中")
        XCTAssertEqual(canvas.line(1), "  文中文    ")
        XCTAssertEqual(canvas.cursor?.row, 1)
        XCTAssertEqual(canvas.cursor?.col, 8)
    }
}
