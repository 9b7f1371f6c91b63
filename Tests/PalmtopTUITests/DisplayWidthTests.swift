import XCTest
import PalmtopTUI

/// Display widths of the characters a model may print, measured per grapheme cluster.
final class DisplayWidthTests: XCTestCase {
    func testNarrowWideAndZeroWidthCharacters() {
        let cases: [(Character, Int)] = [
            ("a", 1), (" ", 1), ("é", 1), ("e\u{301}", 1), ("ß", 1), ("→", 1),
            ("中", 2), ("文", 2), ("あ", 2), ("한", 2), ("\u{1112}\u{1161}\u{11AB}", 2), ("Ａ", 2), ("ｱ", 1),
            ("\u{200B}", 0), ("\u{7}", 0),
        ]
        for (c, w) in cases { XCTAssertEqual(DisplayWidth.of(c), w, "width of \(c.unicodeScalars.map { String($0.value, radix: 16) })") }
    }

    func testEmojiSequencesAreOneWideGlyph() {
        let cases: [(String, Int)] = [
            ("😀", 2), ("👍", 2), ("👍🏽", 2), ("👨‍👩‍👧", 2), ("👩🏽‍💻", 2), ("🇫🇷", 2), ("❤️", 2), ("❤", 1), ("1️⃣", 2),
        ]
        for (s, w) in cases {
            XCTAssertEqual(s.count, 1, "\(s) should be one grapheme cluster")
            XCTAssertEqual(DisplayWidth.of(s), w, "width of \(s)")
        }
    }

    func testStringsAreCutByColumns() {
        XCTAssertEqual(DisplayWidth.of("中文 ok 👍🏽"), 2 + 2 + 1 + 2 + 1 + 2)
        XCTAssertEqual(DisplayWidth.prefix("中文字", fitting: 5), "中文")
        XCTAssertEqual(DisplayWidth.truncate("hello world", to: 6), "hello…")
        XCTAssertEqual(DisplayWidth.truncate("中文字", to: 4), "中…")
        XCTAssertEqual(DisplayWidth.prefix("👨‍👩‍👧x", fitting: 2), "👨‍👩‍👧")
    }
}
