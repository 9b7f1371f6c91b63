import XCTest
import PalmtopTestSupport
import PalmtopBigBench

final class MetricsTests: XCTestCase {
    func testTieBreakingMatchesBigBenchsHash() throws {
        // Read with Palmtop's own parser: Foundation's JSONSerialization on Linux rounds some doubles off
        // by one ulp (-0.6931471805599453), and the hash sees every bit.
        let fixture = try JSONValue.parse(Data(contentsOf: TestSupport.fixture("bigbench/numpy.json")))
        for c in fixture["argmax"]!.array! {
            let values = c["values"]!.array!.map { $0.double! }
            XCTAssertEqual(BigBenchScoring.argmax(values), Int(c["index"]!.double!), "\(values)")
        }
    }

    func testNaNLogprobsDoNotCrash() {
        XCTAssertEqual(BigBenchScoring.argmax([.nan, .nan]), 0)
        XCTAssertEqual(BigBenchScoring.argmax([]), 0)
    }

    func testPartialCreditAndSeveralCorrectChoices() {
        let scores: [(choice: String, score: Double)] = [("a", 0.5), ("b", 1), ("c", 1), ("d", 0)]
        XCTAssertEqual(BigBenchScoring.choiceGrade(scores: scores, normalizedLogprobs: [-0.1, -3, -4, -5]).grade, 0.5)
        XCTAssertEqual(BigBenchScoring.choiceGrade(scores: scores, normalizedLogprobs: [-3, -4, -0.2, -5]).grade, 1)
        XCTAssertEqual(BigBenchScoring.choiceGrade(scores: scores, normalizedLogprobs: [-3, -4, -5, -0.1]).grade, 0)
    }

    func testBrierScoreByHand() {
        // probs from log-probs ln(0.7), ln(0.2), ln(0.1); targets [1, 0, 0].
        let b = BigBenchScoring.brier(scores: [1, 0, 0], logprobs: [log(0.7), log(0.2), log(0.1)])
        XCTAssertEqual(b.count, 3)
        XCTAssertEqual(b.sum, 0.09 + 0.04 + 0.01, accuracy: 1e-12)
        let zero = BigBenchScoring.brier(scores: [0, 0], logprobs: [log(0.5), log(0.5)])
        XCTAssertEqual(zero.sum, 0.5, accuracy: 1e-12, "scores summing to 0 give all-zero targets")
    }

    func testStringMatches() {
        XCTAssertTrue(BigBenchScoring.exactMatch(" 4", targets: ["4", " 4"]))
        XCTAssertFalse(BigBenchScoring.exactMatch(" 4", targets: ["4"]), "no stripping")
        XCTAssertFalse(BigBenchScoring.exactMatch("e\u{301}", targets: ["\u{e9}"]), "code points, not canonical equivalence")
        XCTAssertTrue(BigBenchScoring.caseInsensitiveMatch("  PARIS\n", targets: ["london", " paris "]))
        XCTAssertFalse(BigBenchScoring.caseInsensitiveMatch("Paris.", targets: ["paris"]))
    }

    func testNormalizedIsLogSoftmax() {
        let n = BigBenchScoring.normalized([-1, -2, -3])
        XCTAssertEqual(n.map(exp).reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(n[0] - n[1], 1, accuracy: 1e-12)
    }
}
