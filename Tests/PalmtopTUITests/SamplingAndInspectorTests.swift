import XCTest
import PalmtopEngine
import PalmtopTUI

/// The sampling panel's keys and the inspector's bars and branching.
final class SamplingAndInspectorTests: XCTestCase {
    private final class Box { var settings = SamplingSettings() }

    private func panel(_ box: Box) -> SamplingPanel {
        SamplingPanel(read: { box.settings }, write: { box.settings = $0 })
    }

    func testArrowsAndPlusMinusChangeTheSelectedSetting() {
        let box = Box()
        let p = panel(box)
        _ = p.handle(.down)  // temperature
        _ = p.handle(.right)
        _ = p.handle(.char("+"))
        XCTAssertEqual(box.settings.temperature, 0.9, accuracy: 1e-5)
        _ = p.handle(.down)  // top_k
        _ = p.handle(.left)
        XCTAssertEqual(box.settings.topK, 35)
        for _ in 0..<20 { _ = p.handle(.left) }
        XCTAssertEqual(box.settings.topK, 0, "clamped at the bottom of the range")
    }

    func testEnterTypesAValueAndBadValuesAreRefused() {
        let box = Box()
        let p = panel(box)
        _ = p.handle(.down); _ = p.handle(.down); _ = p.handle(.down)  // top_p
        _ = p.handle(.enter)
        XCTAssertTrue(p.isEditing)
        _ = p.handle(.ctrl("u"))
        for c in "1.5" { _ = p.handle(.char(c)) }
        _ = p.handle(.enter)
        XCTAssertTrue(p.isEditing, "top_p 1.5 is out of range")
        XCTAssertEqual(box.settings.topP, 0.95)
        let canvas = MemoryCanvas(rows: 24, cols: 100)
        p.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 100, height: 22))
        XCTAssertNotNil(canvas.find("top_p must be in (0, 1]"))
        _ = p.handle(.ctrl("u"))
        for c in "0.5" { _ = p.handle(.char(c)) }
        _ = p.handle(.enter)
        XCTAssertFalse(p.isEditing)
        XCTAssertEqual(box.settings.topP, 0.5)
    }

    func testPresetsAndChainOrder() {
        let box = Box()
        box.settings.seed = 7
        let p = panel(box)
        _ = p.handle(.char("2"))
        XCTAssertEqual(p.preset, .code)
        XCTAssertEqual(box.settings.temperature, 0.8)
        XCTAssertEqual(box.settings.topP, 0.95)
        XCTAssertEqual(box.settings.topK, 0)
        XCTAssertEqual(box.settings.seed, 7, "presets keep the seed")
        _ = p.handle(.char("1"))
        XCTAssertEqual(box.settings.temperature, 0)
        _ = p.handle(.up)  // wraps to the order row
        _ = p.handle(.char("+"))  // move the first stage one place later
        XCTAssertEqual(box.settings.order, [.topK, .penalties, .topP, .minP, .temperature])
        XCTAssertNil(p.preset)
        let canvas = MemoryCanvas(rows: 24, cols: 110)
        p.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 110, height: 22))
        XCTAssertNotNil(canvas.find("top_k → penalties → top_p"))
        XCTAssertNotNil(canvas.find("randomness; 0 is greedy"))
        XCTAssertTrue(p.handle(.escape).contains(.close))
    }

    private func token(_ id: Int, _ text: String, _ p: Double, alternatives: [(Int, String, Double, Double?)]) -> TokenRecord {
        TokenRecord(id: id, bytes: Array(text.utf8), text: text, logprob: Float(log(p)), postLogprob: Float(log(p)), entropy: 1.25,
                    topRaw: alternatives.map { alternative($0.0, $0.1, $0.2) },
                    topPost: alternatives.compactMap { a in a.3.map { alternative(a.0, a.1, $0) } })
    }

    /// The engine makes alternatives; tests decode them (the type has no public initializer).
    private func alternative(_ id: Int, _ text: String, _ p: Double) -> TokenAlternative {
        let json = try! JSONSerialization.data(withJSONObject: ["id": id, "text": text, "logprob": log(p)])
        return try! JSONDecoder().decode(TokenAlternative.self, from: json)
    }

    func testBarsAreProportionalInEighths() {
        XCTAssertEqual(Bar.render(0.5, width: 10), "█████     ")
        XCTAssertEqual(Bar.render(1, width: 4), "████")
        XCTAssertEqual(Bar.render(0, width: 3), "   ")
        XCTAssertEqual(Bar.render(0.0625, width: 2), "▏ ")
        XCTAssertEqual(Bar.render(0.05, width: 10), "▌         ")
    }

    func testInspectorShowsRawAndPostSamplerColumnsAndBranches() {
        let tokens = [
            token(10, " Paris", 0.5, alternatives: [(10, " Paris", 0.5, 0.8), (11, " Lyon", 0.25, 0.2), (12, "\n", 0.125, nil)]),
            token(20, ".", 0.9, alternatives: [(20, ".", 0.9, 1.0)]),
        ]
        var branched: (Int, Int)?
        let inspector = InspectorPanel(subject: { InspectorPanel.Subject(tokens: tokens) }, onBranch: { branched = ($0, $1) }, onCycle: { _ in })
        let canvas = MemoryCanvas(rows: InspectorPanel.height, cols: 100)
        inspector.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 100, height: InspectorPanel.height))
        XCTAssertNotNil(canvas.find("token 1/2  id 10  \" Paris\"  p 0.500  logp -0.693"))
        XCTAssertNotNil(canvas.find("entropy 1.25 nats"))
        let paris = canvas.line(3), lyon = canvas.line(4), newline = canvas.line(5)
        XCTAssertTrue(paris.hasPrefix(" •\" Paris\""))
        XCTAssertTrue(paris.contains("0.500") && paris.contains("0.800"))
        XCTAssertTrue(lyon.contains("0.250") && lyon.contains("0.200"))
        XCTAssertTrue(newline.contains("\"\\n\"") && newline.contains("cut"), "filtered by the sampler: no post bar")
        // Raw bars: 0.5 is twice as long as 0.25.
        let fullRaw = paris.filter { $0 == "█" }.count, halfRaw = lyon.filter { $0 == "█" }.count
        XCTAssertGreaterThan(fullRaw, halfRaw)
        let (barRow, barCol) = canvas.find("█")!
        XCTAssertEqual(canvas.role(barRow, barCol), .selection, "the selected alternative is highlighted")
        XCTAssertEqual(canvas.role(4, canvas.find("█", inRow: 4)!), .barRaw)
        _ = inspector.handle(.down)
        _ = inspector.handle(.enter)
        XCTAssertEqual(branched?.0, 0)
        XCTAssertEqual(branched?.1, 11)
        _ = inspector.handle(.right)
        XCTAssertEqual(inspector.cursor, 1)
        _ = inspector.handle(.right)
        XCTAssertEqual(inspector.cursor, 1, "stops at the last token")
        XCTAssertTrue(inspector.handle(.escape).contains(.close))
    }

    /// A remote server that drops some settings (Ollama: min_p, order…) gets them marked in F2, and only those.
    func testSettingsTheServerIgnoresAreMarked() {
        let box = Box()
        let p = SamplingPanel(read: { box.settings }, write: { box.settings = $0 }, ignored: { ["min_p", "order"] })
        let canvas = MemoryCanvas(rows: 24, cols: 120)
        p.draw(into: canvas, rect: Rect(row: 0, col: 0, width: 120, height: 24))
        func row(_ name: String) -> Int? { (0..<canvas.rows).first { canvas.find("│ \(name) ", inRow: $0) != nil } }
        let marked = ["min_p", "order"].compactMap(row)
        let unmarked = ["temperature", "top_k", "top_p", "seed"].compactMap(row)
        XCTAssertEqual(marked.count, 2)
        XCTAssertEqual(unmarked.count, 4)
        for r in marked { XCTAssertNotNil(canvas.find(SamplingPanel.ignoredNote, inRow: r), canvas.line(r)) }
        for r in unmarked { XCTAssertNil(canvas.find(SamplingPanel.ignoredNote, inRow: r), canvas.line(r)) }
        XCTAssertNotNil(canvas.find("→", inRow: marked[1]), "the order row still shows the chain")
    }

    func testTokenLabelsShowWhitespaceAndPartialCharacters() {
        XCTAssertEqual(TokenLabel.of(bytes: Array(" a\n".utf8)), "\" a\\n\"")
        XCTAssertEqual(TokenLabel.of(bytes: [0xE4, 0xB8]), "\\xE4\\xB8")
    }
}

extension MemoryCanvas {
    /// The column of `needle` in one row.
    func find(_ needle: String, inRow row: Int) -> Int? {
        let l = line(row)
        return l.range(of: needle).map { DisplayWidth.of(String(l[..<$0.lowerBound])) }
    }
}
