import XCTest
import PalmtopTestSupport
import PalmtopBigBench

/// MT19937 and the legacy draws against numpy's own outputs (scripts/bigbench_numpy_fixtures.py).
final class NumpyRandomStateTests: XCTestCase {
    var fixture: [String: Any] = [:]

    override func setUpWithError() throws {
        fixture = try TestSupport.json(TestSupport.fixture("bigbench/numpy.json"))
    }

    func testRawOutputsOfRandomState42() {
        var rng = NumpyRandomState(seed: 42)
        let expected = (fixture["raw_uint32"] as! [NSNumber]).map { UInt32(truncating: $0) }
        XCTAssertEqual(expected.count, 700)
        XCTAssertEqual((0..<700).map { _ in rng.nextUInt32() }, expected)
    }

    func testPermutationsOfIntegersAndSortedStrings() {
        for (n, perm) in fixture["permutations"] as! [String: [Int]] {
            var rng = NumpyRandomState(seed: 42)
            XCTAssertEqual(rng.permutation(Int(n)!), perm, "permutation(\(n))")
        }
        for (n, perm) in fixture["string_permutations"] as! [String: [Int]] {
            // A generative task with target_scores too: one choice alone would make a multiple-choice task invalid.
            let leafTask = try! task(leafJSON(metrics: #"["exact_str_match"]"#, preferred: "exact_str_match",
                                              examples: "[{\"input\": \"x\", \"target\": \"c000\", \"target_scores\": {" +
                (0..<Int(n)!).reversed().map { "\"c\(String(format: "%03d", $0))\": \($0 == 0 ? 1 : 0)" }.joined(separator: ", ") + "}}]"))
            let input = leafTask.leaf!.formattedExamples()[0].input
            let expected = "\nQ: x" + perm.map { "\n  choice: c\(String(format: "%03d", $0))" }.joined() + "\nA: "
            XCTAssertEqual(input, expected, "choice order for \(n) choices")
        }
    }

    func testBoundedIntegersInSequence() {
        var rng = NumpyRandomState(seed: 42)
        for case let step as [String: Any] in fixture["randint_sequence"] as! [Any] {
            XCTAssertEqual(rng.randint(step["n"] as! Int), step["value"] as! Int, "randint(0, \(step["n"]!))")
        }
    }

    /// Queries, shots and shot targets of whole n-shot runs, compared through the prompts they build.
    func testShotSelectionMatchesMakeNshotDataset() throws {
        for case let c as [String: Any] in fixture["nshot"] as! [Any] {
            let n = c["n"] as! Int, shots = c["shots"] as! Int, limit = c["limit"] as? Int
            let counts = c["target_counts"] as! [Int]
            let examples = (0..<n).map { i in
                "{\"input\": \"q\(i)\", \"target\": [" + (0..<counts[i]).map { "\"t\($0)\"" }.joined(separator: ", ") + "]}"
            }
            let t = try task(leafJSON(#""task_prefix": "P|", "few_shot_example_separator": "@@""#, metrics: #"["exact_str_match"]"#,
                                      preferred: "exact_str_match", examples: "[" + examples.joined(separator: ", ") + "]"))
            let queries = try t.leaf!.queries(shots: shots, limit: limit)
            let expectedQueries = c["queries"] as! [Int]
            XCTAssertEqual(queries.map(\.exampleIndex), expectedQueries, "queries for \(c)")
            let shotLists = c["shot_indices"] as! [[Int]], targetLists = c["shot_targets"] as! [[Int]]
            for (k, q) in queries.enumerated() where shots > 0 {
                XCTAssertEqual(q.shotIndices, shotLists[k])
                let context = zip(shotLists[k], targetLists[k]).map { "\nQ: q\($0)\nA: t\($1)" }.joined(separator: "@@")
                XCTAssertEqual(q.prompt, "P|" + context + "@@" + "\nQ: q\(expectedQueries[k])\nA: ")
            }
        }
    }
}
