import XCTest
import PalmtopTestSupport
import PalmtopEngine

/// The forward pass against an independent numpy reference on the same bf16-rounded weights
/// (scripts/reference_model.py, fixtures from scripts/make_logits_fixtures.py).
final class FidelityTests: XCTestCase {
    func checkModel(_ name: String) throws {
        let model = try TestSupport.model(name)
        let fixture = try TestSupport.json(TestSupport.fixture("logits/\(name).json"))
        let cases = fixture["cases"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(cases.count, 5)
        for c in cases {
            let prompt = c["prompt"] as! String
            let ids = (c["ids"] as! [NSNumber]).map(\.intValue)
            XCTAssertEqual(model.encode(prompt), ids, "tokens of \(prompt.debugDescription)")
            let session = Session(model: model, contextLimit: 1024)

            // Greedy: the first 16 tokens match the reference, unless the reference itself is at a near-tie.
            let greedy = (c["greedy"] as! [NSNumber]).map(\.intValue)
            let margins = (c["greedy_margins"] as! [NSNumber]).map(\.floatValue)
            var settings = SamplingSettings.greedy
            settings.maxTokens = greedy.count
            var got: [Int] = []
            var firstTop: [TokenAlternative] = []
            _ = try session.generate(prompt: ids, settings: settings, topN: 10) { e in
                if got.isEmpty { firstTop = e.topRaw }
                got.append(e.id)
                return true
            }
            for (i, expected) in greedy.enumerated() where i < got.count {
                if got[i] != expected {
                    XCTAssertLessThan(margins[i], 0.05, "\(name) \(prompt.prefix(30).debugDescription): token \(i) is \(got[i]), reference \(expected) (margin \(margins[i]))")
                    break
                }
            }
            // First generated position: top-5 ids and their log-probabilities.
            let top10 = (c["top10"] as! [[NSNumber]]).map { ($0[0].intValue, $0[1].floatValue) }
            for (i, (id, lp)) in top10.prefix(5).enumerated() {
                XCTAssertEqual(firstTop[i].id, id, "\(name) top-\(i + 1) id")
                XCTAssertEqual(firstTop[i].logprob, lp, accuracy: 0.05, "\(name) top-\(i + 1) logprob")
            }
            // Prompt scoring (echo): the summed log-probability of the prompt.
            let expectedSum = (c["prompt_logprob_sum"] as! NSNumber).floatValue
            let scores = try session.promptLogprobs(ids)
            let sum = scores.compactMap(\.logprob).reduce(0, +)
            XCTAssertEqual(sum, expectedSum, accuracy: 0.1, "\(name) prompt log-probability of \(prompt.prefix(30).debugDescription)")
        }
    }

    func testGemmaMatchesReference() throws { try checkModel("gemma-3-270m") }
    func testSmolLMMatchesReference() throws { try checkModel("smollm2-135m-instruct") }

    /// The random-weight PaLM block (parallel attention + SwiGLU, multi-query, tied embeddings) against
    /// its numpy reference, to 1e-2 in logits.
    func testPaLMMatchesNumpyReference() throws {
        let path = TestSupport.testData.appendingPathComponent("palm-tiny.gguf").path
        let model = try Model(path: path)
        XCTAssertTrue(model.config.parallelBlock)
        XCTAssertEqual(model.config.kvHeadCount, 1)
        let fixture = try TestSupport.json(TestSupport.fixture("logits/palm-tiny.json"))
        for c in fixture["cases"] as! [[String: Any]] {
            let ids = (c["ids"] as! [NSNumber]).map(\.intValue)
            let expected = (c["logits_last"] as! [NSNumber]).map(\.floatValue)
            let session = Session(model: model, contextLimit: 256)
            var last: [Float] = []
            try session.prefill(ids, logits: .last) { _, row in last = Array(row) }
            XCTAssertEqual(last.count, expected.count)
            let worst = zip(last, expected).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-2, "max |logit difference| for \(ids.count) tokens")
            // Decoding token by token must agree with the batched prefill.
            session.reset()
            var stepped: [Float] = []
            for n in 1...ids.count { try session.prefill(Array(ids[..<n]), logits: .last) { _, row in stepped = Array(row) } }
            XCTAssertLessThan(zip(stepped, last).map { abs($0 - $1) }.max() ?? 0, 1e-3)
        }
    }
}
