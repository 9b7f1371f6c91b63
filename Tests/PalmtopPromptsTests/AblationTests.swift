import XCTest
import PalmtopPrompts

/// Leave-one-out over exemplars: which prompts run, in which order, and what each exemplar's effect is.
final class AblationTests: XCTestCase {
    func prompt(enabled: [Bool]) throws -> PromptFile {
        var p = try PromptFile.parse("""
            name: p
            description: ""
            model: m
            mode: complete
            template: "{input} -> {output}"
            query: "{input} ->"
            exemplars: []
            scoring: rank-choices
            """, path: "<test>")
        p.exemplars = enabled.enumerated().map { Exemplar(fields: ["input": "in\($0)", "output": "out\($0)"], enabled: $1) }
        return p
    }

    func testEachSwitchedOnExemplarIsLeftOutOnceLastFirst() throws {
        let p = try prompt(enabled: [true, false, true, true])
        let variants = ExemplarAblation.variants(of: p)
        XCTAssertEqual(variants.map(\.left), [3, 2, 0], "last first, so each variant shares the exemplars before its gap with the one before")
        for v in variants {
            XCTAssertFalse(v.prompt.exemplars[v.left].enabled)
            XCTAssertEqual(v.prompt.exemplars.filter(\.enabled).count, 2, "only the one exemplar is left out")
            XCTAssertEqual(v.prompt.render(query: "q"), p.render(query: "q").replacingOccurrences(of: "in\(v.left) -> out\(v.left)\n\n", with: ""))
        }
        XCTAssertTrue(ExemplarAblation.variants(of: try prompt(enabled: [false, false])).isEmpty)
    }

    func testAnEffectIsTheScoreWithTheExemplarMinusTheScoreWithoutIt() {
        let effects = ExemplarAblation.effects(baseline: 60, without: [0: 40, 2: 70, 3: 60], count: 4)
        XCTAssertEqual(effects, [20, nil, -10, 0], "+20: helps; −10: hurts; nil: off or not run")
    }
}
