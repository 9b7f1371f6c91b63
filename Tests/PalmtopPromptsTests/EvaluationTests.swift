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

    /// Batched dev-set runs give every item the output it gets with `--parallel 1`, in dev-set order.
    func testParallelRunsGiveTheSameItemsInOrder() throws {
        for name in ["antonyms", "code-complete"] {
            let prompt = try PromptFile.load(nameOrPath: library.appendingPathComponent("\(name).yaml").path)
            let model = try TestSupport.model(prompt.model)
            let items = Array(try prompt.loadDevSet().prefix(6))
            func run(_ parallel: Int) throws -> [EvalItemResult] {
                var out: [EvalItemResult] = []
                _ = try Evaluator(prompt: prompt, backend: LocalBackend(model: model), parallel: parallel).run(items: items) { out.append($0) }
                return out
            }
            let one = try run(1), four = try run(4)
            XCTAssertEqual(four.map(\.index), Array(items.indices))
            XCTAssertEqual(four.map(\.generated), one.map(\.generated), "\(name): batched outputs differ from one at a time")
        }
    }

    func testTheVoteCountsNormalizedAnswersAndBreaksTiesByFirstSeen() {
        XCTAssertEqual(Evaluator.vote(["6", "5", " 5.", "6", ""]).map(\.count), [2, 2])
        XCTAssertEqual(Evaluator.vote(["6", "5", " 5.", "6", ""]).first?.answer, "6", "a tie goes to the answer seen first")
        XCTAssertEqual(Evaluator.vote(["", "", "7"]).first?.answer, "7", "no vote for an empty answer while something was answered")
        XCTAssertEqual(Evaluator.vote(["", ""]).first?.count, 2)
    }

    /// Self-consistency samples each item several times at its temperature and votes.
    func testSelfConsistencySamplesAndVotes() throws {
        var prompt = try PromptFile.load(nameOrPath: library.appendingPathComponent("arithmetic-cot.yaml").path)
        prompt.selfConsistency = SelfConsistency(samples: 4, temperature: 0.7)
        prompt.sampling.maxTokens = 40
        let items = Array(try prompt.loadDevSet().prefix(2))
        var results: [EvalItemResult] = []
        let summary = try Evaluator(prompt: prompt, backend: LocalBackend(model: try TestSupport.model(prompt.model))).run(items: items) {
            results.append($0)
        }
        XCTAssertEqual(summary.samples, 4)
        XCTAssertNotNil(summary.meanSampleAccuracy)
        for r in results {
            XCTAssertEqual(r.samples?.count, 4)
            XCTAssertEqual(r.votes?.map(\.count).reduce(0, +) ?? 0, r.samples!.filter { !$0.isEmpty }.isEmpty ? 4 : r.samples!.filter { !AnswerExtractor.normalize($0).isEmpty }.count)
            XCTAssertEqual(r.predicted, r.votes?.first?.answer)
        }
    }
}
