import XCTest
import PalmtopEngine
import PalmtopTestSupport
import PalmtopPrompts

/// Every shipped prompt runs its dev set on its preferred model (a few items each, to keep CI fast),
/// and edits to exemplars recompute only the changed suffix.
final class EvaluationTests: XCTestCase {
    var library: URL { TestSupport.packageRoot.appendingPathComponent("prompts") }

    func testEveryShippedPromptRunsItsDevSet() throws {
        for name in PromptLibrary.names(in: library) {
            let prompt = try PromptFile.load(nameOrPath: library.appendingPathComponent("\(name).yaml").path)
            let backend = LocalBackend(model: try TestSupport.model(prompt.model))
            let items = Array(try prompt.loadDevSet().prefix(3))
            var seen = 0
            let summary = try Evaluator(prompt: prompt, backend: backend).run(items: items) { r in
                seen += 1
                XCTAssertFalse(r.expected.isEmpty)
                if prompt.scoring == .rankChoices { XCTAssertEqual(r.choiceScores?.count, items[r.index].choices?.count) }
            }
            XCTAssertEqual(seen, items.count)
            XCTAssertEqual(summary.total, items.count)
            // Items after the first share the instruction and exemplars, served from the cache.
            XCTAssertGreaterThan(summary.promptTokensReused, 0, "\(name) should reuse its exemplar prefix")
        }
    }

    func testEditingTheLastExemplarRecomputesOnlyTheSuffix() throws {
        var prompt = try PromptFile.load(nameOrPath: library.appendingPathComponent("country-capital.yaml").path)
        let model = try TestSupport.model(prompt.model)
        let session = Session(model: model)
        let before = model.encode(prompt.render(query: "Spain"))
        try session.prefill(before)
        let last = prompt.exemplars.count - 1
        prompt.exemplars[last].fields["output"] = (prompt.exemplars[last].fields["output"] ?? "") + "!"
        let after = model.encode(prompt.render(query: "Spain"))
        var common = 0
        while before[common] == after[common] { common += 1 }
        let stats = try session.prefill(after)
        XCTAssertEqual(stats.reused, common)
        XCTAssertEqual(stats.computed, after.count - common)
        XCTAssertLessThan(stats.computed, after.count / 3, "only the edited exemplar and the query are recomputed")
    }
}
