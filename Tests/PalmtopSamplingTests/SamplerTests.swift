import XCTest
import PalmtopSampling

/// Table-driven checks of every sampler stage on small distributions, with the expected surviving
/// tokens and probabilities worked out by hand.
final class SamplerTests: XCTestCase {
    /// Logits for probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625 (ids 0…4).
    let base = Candidates(ids: [0, 1, 2, 3, 4], logits: [log(0.5), log(0.25), log(0.125), log(0.0625), log(0.0625)].map(Float.init))

    struct Row {
        var name: String
        var stage: any Sampler
        var ids: [Int]
        var probs: [Float]
    }

    func apply(_ stage: any Sampler, _ c: Candidates) -> Candidates {
        var s = stage, c = c
        s.apply(&c)
        return c
    }

    func assertDistribution(_ c: Candidates, ids: [Int], probs: [Float], _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        let order = c.ids.indices.sorted { c.ids[$0] < c.ids[$1] }
        XCTAssertEqual(order.map { c.ids[$0] }, ids, name, file: file, line: line)
        let p = c.probabilities()
        for (i, expected) in zip(order, probs) { XCTAssertEqual(p[i], expected, accuracy: 1e-5, "\(name) p(\(c.ids[i]))", file: file, line: line) }
    }

    func testEachStage() {
        let table: [Row] = [
            Row(name: "top-k 2", stage: TopK(2), ids: [0, 1], probs: [2 / 3, 1 / 3]),
            Row(name: "top-k 0 keeps all", stage: TopK(0), ids: [0, 1, 2, 3, 4], probs: [0.5, 0.25, 0.125, 0.0625, 0.0625]),
            Row(name: "top-p 0.7", stage: TopP(0.7), ids: [0, 1], probs: [2 / 3, 1 / 3]),
            Row(name: "top-p 0.75 (exact boundary)", stage: TopP(0.75), ids: [0, 1], probs: [2 / 3, 1 / 3]),
            Row(name: "top-p 0.8", stage: TopP(0.8), ids: [0, 1, 2], probs: [4 / 7, 2 / 7, 1 / 7]),
            Row(name: "top-p 1 keeps all", stage: TopP(1), ids: [0, 1, 2, 3, 4], probs: [0.5, 0.25, 0.125, 0.0625, 0.0625]),
            Row(name: "min-p 0.2", stage: MinP(0.2), ids: [0, 1, 2], probs: [4 / 7, 2 / 7, 1 / 7]),
            Row(name: "min-p 0.5", stage: MinP(0.5), ids: [0, 1], probs: [2 / 3, 1 / 3]),
            Row(name: "temperature 0 is greedy", stage: Temperature(0), ids: [0], probs: [1]),
            Row(name: "temperature 1 unchanged", stage: Temperature(1), ids: [0, 1, 2, 3, 4], probs: [0.5, 0.25, 0.125, 0.0625, 0.0625]),
            // T = 0.5 squares the probabilities: 1/4, 1/16, 1/64, 1/256, 1/256 normalised by 86/256.
            Row(name: "temperature 0.5", stage: Temperature(0.5), ids: [0, 1, 2, 3, 4], probs: [64 / 86, 16 / 86, 4 / 86, 1 / 86, 1 / 86]),
        ]
        for row in table { assertDistribution(apply(row.stage, base), ids: row.ids, probs: row.probs, row.name) }
    }

    func testPenalties() {
        // Equal logits 1.0 for four tokens; token 0 seen twice, token 1 once.
        let flat = Candidates(ids: [0, 1, 2, 3], logits: [1, 1, 1, 1])
        var repetition = Penalties(repetition: 2, presence: 0, frequency: 0, lastN: 64)
        repetition.accept(0); repetition.accept(0); repetition.accept(1)
        XCTAssertEqual(apply(repetition, flat).logits, [0.5, 0.5, 1, 1])
        var negative = Penalties(repetition: 2, presence: 0, frequency: 0, lastN: 64)
        negative.accept(0)
        XCTAssertEqual(apply(negative, Candidates(ids: [0, 1], logits: [-1, -1])).logits, [-2, -1])
        var presenceFrequency = Penalties(repetition: 1, presence: 0.5, frequency: 0.25, lastN: 64)
        presenceFrequency.accept(0); presenceFrequency.accept(0); presenceFrequency.accept(1)
        XCTAssertEqual(apply(presenceFrequency, flat).logits, [0, 0.25, 1, 1])
        var window = Penalties(repetition: 2, presence: 0, frequency: 0, lastN: 1)
        window.accept(0); window.accept(1)
        XCTAssertEqual(apply(window, flat).logits, [1, 0.5, 1, 1], "only the last token is in the window")
        window.reset()
        XCTAssertEqual(apply(window, flat).logits, [1, 1, 1, 1])
    }

    /// repeat_last_n over a primed prompt and a generated history, through the chain as a session
    /// drives it: -1 is the whole context (prompt included, however long), 0 disables the window,
    /// N is the last N tokens. The prompt holds ids 0…99 once each; 200 generated tokens of id 100
    /// follow, then one of id 101.
    func testRepeatLastNWindowsOverPromptAndHistory() {
        let table: [(lastN: Int, penalized: Set<Int>)] = [
            (-1, Set(0...101)), (0, []), (1, [101]), (64, [100, 101]),
        ]
        for row in table {
            var settings = SamplingSettings.greedy
            settings.repeatPenalty = 2
            settings.repeatLastN = row.lastN
            settings.order = [.penalties]
            var chain = SamplerChain(settings)
            chain.prime(Array(0..<100))
            for _ in 0..<200 { chain.accept(100) }
            chain.accept(101)
            var c = Candidates(ids: Array(0..<102), logits: Array(repeating: 1, count: 102))
            chain.apply(&c)
            let penalized = Set(c.ids.indices.filter { c.logits[$0] < 1 }.map { c.ids[$0] })
            XCTAssertEqual(penalized, row.penalized, "repeat_last_n \(row.lastN)")
        }
    }

    func testChainOrderMatters() {
        // min-p judges ratios to the best token, which temperature changes: the order decides what survives.
        var flatFirst = SamplingSettings()
        flatFirst.topK = 0; flatFirst.topP = 1; flatFirst.minP = 0.3; flatFirst.temperature = 3
        flatFirst.order = [.minP, .temperature]
        var chain = SamplerChain(flatFirst)
        var c1 = base
        chain.apply(&c1)
        XCTAssertEqual(c1.ids.sorted(), [0, 1], "min-p on the sharp distribution keeps 0 and 1")
        flatFirst.order = [.temperature, .minP]
        chain = SamplerChain(flatFirst)
        var c2 = base
        chain.apply(&c2)
        // After T=3 the ratios are (1/2)^(1/3) ≈ 0.79, 0.63, 0.5, 0.5: all above 0.3.
        XCTAssertEqual(c2.ids.sorted(), [0, 1, 2, 3, 4])
    }

    func testSeededSamplingIsReproducible() {
        var s = SamplingSettings()
        s.seed = 7
        func draws() -> [Int] {
            var chain = SamplerChain(s)
            return (0..<50).map { _ in chain.sample(base) }
        }
        XCTAssertEqual(draws(), draws())
        s.seed = 8
        XCTAssertNotEqual(draws(), { var c = SamplerChain({ var t = s; t.seed = 7; return t }()); return (0..<50).map { _ in c.sample(base) } }())
        // Frequencies follow the distribution.
        var chain = SamplerChain(s)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<20000 { counts[chain.sample(base)] += 1 }
        XCTAssertEqual(Double(counts[0]) / 20000, 0.5, accuracy: 0.02)
        XCTAssertEqual(Double(counts[3]) / 20000, 0.0625, accuracy: 0.01)
    }

    func testSettingsValidation() {
        var s = SamplingSettings()
        s.topK = -1
        XCTAssertThrowsError(try s.validate())
        s = SamplingSettings(); s.topP = 1.5
        XCTAssertThrowsError(try s.validate())
        s = SamplingSettings(); s.temperature = -0.1
        XCTAssertThrowsError(try s.validate())
        s = SamplingSettings(); s.order = [.topK, .topK]
        XCTAssertThrowsError(try s.validate())
        XCTAssertNoThrow(try SamplingSettings().validate())
    }

    func testSettingsRoundTripThroughJSON() throws {
        var s = SamplingSettings()
        s.temperature = 0.3; s.stop = ["\n\n"]; s.order = [.temperature, .topK, .topP, .minP, .penalties]
        let decoded = try JSONDecoder().decode(SamplingSettings.self, from: JSONEncoder().encode(s))
        XCTAssertEqual(decoded, s)
    }
}

/// Rebuilding a chain mid-generation keeps the penalty history and the random stream.
final class ReconfigureTests: XCTestCase {
    func testReconfigureKeepsHistoryAndRandomStream() {
        var s = SamplingSettings()
        s.topK = 0; s.topP = 1; s.minP = 0; s.repeatPenalty = 2; s.temperature = 1
        var chain = SamplerChain(s)
        chain.accept(0)
        var c = Candidates(ids: [0, 1], logits: [1, 1])
        chain.apply(&c)
        XCTAssertEqual(c.logits, [0.5, 1])
        var t = s
        t.temperature = 0.5
        chain.reconfigure(t)
        var d = Candidates(ids: [0, 1], logits: [1, 1])
        chain.apply(&d)
        XCTAssertEqual(d.logits, [1, 2], "the penalty still applies to token 0, then T = 0.5 doubles both")
        // Same seed: the draws after reconfiguring continue the stream instead of restarting it.
        var fresh = SamplerChain(s)
        var continued = SamplerChain(s)
        let base = Candidates(ids: [0, 1, 2], logits: [0, 0, 0])
        _ = fresh.sample(base)
        _ = continued.sample(base)
        continued.reconfigure(t)
        XCTAssertEqual((0..<20).map { _ in fresh.sample(base) }, (0..<20).map { _ in continued.sample(base) })
    }
}
