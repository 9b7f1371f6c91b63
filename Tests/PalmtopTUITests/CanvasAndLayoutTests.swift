import XCTest
import PalmtopTUI

/// The in-memory canvas, wrapping by display columns, and the palette choice.
final class CanvasAndLayoutTests: XCTestCase {
    func testPutClipsAtTheLimitWithoutSplittingWideCharacters() {
        let canvas = MemoryCanvas(rows: 2, cols: 10)
        XCTAssertEqual(canvas.put("ab中文字", row: 0, col: 0, role: .user, limit: 7), 6)
        XCTAssertEqual(canvas.line(0), "ab中文    ")
        XCTAssertEqual(canvas.role(0, 2), .user)
        XCTAssertEqual(canvas.role(0, 6), .text)
        // A wide character never straddles the right edge.
        XCTAssertEqual(canvas.put("12345678中", row: 1, col: 1, role: .text), 8)
        XCTAssertEqual(canvas.line(1), " 12345678 ")
    }

    func testControlCharactersNeverReachTheScreen() {
        let canvas = MemoryCanvas(rows: 1, cols: 20)
        canvas.put("a\u{1B}[2Jb\tc", row: 0, col: 0)
        XCTAssertTrue(canvas.line(0).hasPrefix("a\u{FFFD}[2Jb    c "), canvas.line(0))
    }

    func testBoxDrawsABorderAndReturnsTheInside() {
        let canvas = MemoryCanvas(rows: 5, cols: 12)
        let inside = canvas.box(Rect(row: 0, col: 0, width: 12, height: 5), title: "T")
        XCTAssertEqual(inside, Rect(row: 1, col: 1, width: 10, height: 3))
        XCTAssertEqual(canvas.line(0), "┌─ T ──────┐")
        XCTAssertEqual(canvas.line(4), "└──────────┘")
        XCTAssertEqual(canvas.role(0, 0), .border)
        XCTAssertEqual(canvas.role(0, 3), .title)
    }

    func testWordWrapBreaksAtSpacesAndHardWrapsLongWords() {
        let chars = TextLayout.styled("the quick brown fox jumps", .text)
        let rows = TextLayout.wrap(chars, width: 10, words: true).map { String($0.map(\.char)) }
        XCTAssertEqual(rows, ["the quick", "brown fox", "jumps"])
        let long = TextLayout.wrap(TextLayout.styled("abcdefghijkl", .text), width: 5, words: true).map { String($0.map(\.char)) }
        XCTAssertEqual(long, ["abcde", "fghij", "kl"])
    }

    func testWrapCountsWideCharactersAsTwoColumns() {
        let rows = TextLayout.wrap(TextLayout.styled("中文中文中", .text), width: 5, words: false)
        XCTAssertEqual(rows.map { String($0.map(\.char)) }, ["中文", "中文", "中"])
        XCTAssertTrue(rows.allSatisfy { TextLayout.width($0) <= 5 })
        let emoji = TextLayout.wrap(TextLayout.styled("ab👨‍👩‍👧cd👍🏽", .text), width: 4, words: false)
        XCTAssertEqual(emoji.map { String($0.map(\.char)) }, ["ab👨‍👩‍👧", "cd👍🏽"])
    }

    func testNewlinesEndRowsAndKeepTheirTag() {
        let chars = TextLayout.styled("ab\n\ncd", .text, tag: 3)
        let rows = TextLayout.wrap(chars, width: 10, words: true)
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(TextLayout.width(rows[0]), 2)
        XCTAssertEqual(rows[0].last?.tag, 3)
    }

    func testNoColorSelectsTheMonochromePalette() {
        XCTAssertEqual(Palette.choose(hasColors: true, environment: [:]).name, "colour")
        XCTAssertEqual(Palette.choose(hasColors: true, environment: ["NO_COLOR": "1"]).name, "monochrome")
        XCTAssertEqual(Palette.choose(hasColors: true, environment: ["NO_COLOR": ""]).name, "colour")
        XCTAssertEqual(Palette.choose(hasColors: false, environment: [:]).name, "monochrome")
        // Monochrome still tells the roles that matter apart.
        let mono = Palette.monochrome
        XCTAssertNotEqual(mono.style(.selection), mono.style(.text))
        XCTAssertNotEqual(mono.style(.probLow), mono.style(.probHigh))
        XCTAssertNotEqual(mono.style(.error), mono.style(.text))
        XCTAssertTrue(Role.allCases.allSatisfy { mono.style($0).foreground == .standard })
    }
}
