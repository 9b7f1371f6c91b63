import XCTest
import PalmtopEngine
import PalmtopTestSupport
import PalmtopBigBench

/// Real BIG-bench Lite tasks from the pulled package (`make bigbench`) on a default model: a few
/// queries 0- and 1-shot. Skipped, with the reason, only when the package could not be fetched.
final class RealTaskTests: XCTestCase {
    var store: BigBenchStore!

    override func setUpWithError() throws {
        store = BigBenchStore()
        guard (try? store.manifest()) != nil else {
            throw XCTSkip("BIG-bench is not installed in \(store.directory.path) (make bigbench could not fetch it); real-task tests skipped")
        }
    }

    func testTheInstalledPackageIsWhatBigBenchShips() throws {
        let m = try store.manifest()
        XCTAssertEqual(m.sha256, BigBenchStore.sha256)
        XCTAssertEqual(m.lite.count, 24)
        XCTAssertEqual(m.tasks.count, 167)
        XCTAssertEqual(m.programmatic.count, 42)
        XCTAssertEqual(m.tasks.reduce(0) { $0 + max($1.subtasks.count, 1) }, 1001)
        XCTAssertTrue(m.invalid.isEmpty, "\(m.invalid)")
        XCTAssertThrowsError(try store.load("boolean_expressions")) { XCTAssertTrue("\($0)".contains("programmatic"), "\($0)") }
    }

    func testMultipleChoiceLiteTaskZeroAndOneShot() throws {
        let task = try store.load("novel_concepts")
        let model = try TestSupport.model("smollm2-135m-instruct")
        let backend = LocalBackend(model: model)
        let scorer = BackendBigBenchModel(backend: backend)
        for shots in [0, 1] {
            var items: [BigBenchItemResult] = []
            let s = try BigBenchRunner(task: task, shots: shots, limit: 3).run(model: scorer) { items.append($0) }
            XCTAssertEqual(s.items, 3)
            XCTAssertEqual(items.count, 3)
            for item in items {
                XCTAssertTrue(item.logprobs!.allSatisfy { $0.isFinite && $0 < 0 }, "\(item.logprobs!)")
                XCTAssertTrue(item.choices!.contains(item.prediction))
                XCTAssertEqual(item.prompt.components(separatedBy: "\nA: ").count - 1, 1 + shots, "one output prefix per example in the prompt")
            }
            XCTAssertTrue((0...100).contains(s.score))
            XCTAssertGreaterThan(s.chance, 0)
        }
        XCTAssertGreaterThan(backend.tokenTotals?.reused ?? 0, 0, "choices of one item reuse the prompt's cache")
    }

    /// The choice log-probability from the adapter equals the same sum taken from prompt log-probabilities
    /// of the concatenated tokens (prompt tokens + target tokens, tokenized apart as BIG-bench does).
    func testChoiceLogprobIsTheSumOverTheTargetsTokens() throws {
        let model = try TestSupport.model("gemma-3-270m")
        let prompt = "\nQ: Is the sky blue?\nA: ", target = "yes"
        let lp = try BackendBigBenchModel(backend: LocalBackend(model: model)).logprobs(prompt: prompt, targets: [target])[0]
        let p = model.encode(prompt, parseSpecial: false), t = model.encode(target, parseSpecial: false, addBOS: false)
        let scores = try Session(model: model).promptLogprobs(p + t)
        let expected = scores[p.count...].reduce(0.0) { $0 + Double($1.logprob!) }
        XCTAssertEqual(lp, expected, accuracy: 1e-3)
    }

    /// misconceptions_russian has empty prompts: the first target token is conditioned on BOS (or EOS
    /// for a model without one), on both default models, as BIG-bench feeds its model an end-of-text token.
    func testEmptyPromptsAreScored() throws {
        for name in TestSupport.defaultModels {
            let lp = try BackendBigBenchModel(backend: LocalBackend(model: try TestSupport.model(name))).logprobs(prompt: "", targets: ["Paris", ""])
            XCTAssertTrue(lp[0].isFinite && lp[0] < 0, "\(name): \(lp)")
            XCTAssertEqual(lp[1], 0, "an empty target has no tokens")
        }
    }

    func testGenerativeLiteTaskZeroAndOneShot() throws {
        let task = try store.load("repeat_copy_logic")
        let scorer = BackendBigBenchModel(backend: LocalBackend(model: try TestSupport.model("smollm2-135m-instruct")))
        for shots in [0, 1] {
            var items: [BigBenchItemResult] = []
            let s = try BigBenchRunner(task: task, shots: shots, limit: 1, maxLength: 32).run(model: scorer) { items.append($0) }
            XCTAssertEqual(items.count, 1)
            XCTAssertEqual(s.metric, "exact_str_match")
            XCTAssertNotNil(items[0].rawOutput)
            XCTAssertTrue(items[0].prompt.hasPrefix("repeat with logic:\n"))
            XCTAssertTrue([0, 100].contains(s.score))
        }
    }
}
