import XCTest
import PalmtopBigBench

/// `postprocess_output` edge cases, and early stopping that never changes its result.
final class PostProcessTests: XCTestCase {
    func post(stop: String? = nil, regex: String? = nil, max: Int = 256) throws -> OutputPostprocessor {
        try OutputPostprocessor(maxLength: max, stopString: stop, outputRegex: regex)
    }

    func testStopString() throws {
        let p = try post(stop: "\n")
        XCTAssertEqual(p.process(" Paris\nQ: next"), " Paris\n", "cut after the stop string, keeping it")
        XCTAssertEqual(p.process("\nParis\nQ"), "\nParis\nQ", "at position 0 it cuts nothing at all")
        XCTAssertEqual(try post(stop: "##").process("a#b##c##"), "a#b##")
    }

    func testDefaultRegexKeepsLeadingSpacesAndCutsAtDelimiters() throws {
        let p = try post(regex: BigBenchLeaf.defaultRegex)
        XCTAssertEqual(p.process(" Yes. Because"), " Yes")
        XCTAssertEqual(p.process("\n\n no; maybe"), " no", "leading delimiters are skipped by findall")
        XCTAssertEqual(p.process("?!."), "", "no match gives the empty string")
        XCTAssertEqual(p.process("héllo wörld! x"), "héllo wörld")
    }

    func testRegexWithAGroupGivesTheGroup() throws {
        XCTAssertEqual(try post(regex: "A: (\\w+)").process("so A: yes and A: no"), "yes")
        XCTAssertEqual(try post(regex: "([-+]?\\d+)[.]{0,1}$").process("x = 42.\n"), "42", "$ matches before a final newline as in Python")
        XCTAssertEqual(try post(regex: "(x)?y").process("y"), "", "a group that did not take part is empty")
        XCTAssertEqual(try post(regex: "(?i)paris").process("It is PARIS."), "PARIS")
        XCTAssertThrowsError(try post(regex: "(a)(b)"), "BIG-bench refuses more than one group")
    }

    func testEmptyRegexMeansNone() throws {
        XCTAssertEqual(try post(regex: "").process(" anything. at all"), " anything. at all")
        XCTAssertEqual(try post().process(" anything. at all"), " anything. at all")
    }

    func testTruncationCountsCodePoints() throws {
        XCTAssertEqual(try post(max: 3).process("éé😀x"), "éé😀")
        XCTAssertEqual(try post(stop: "b", max: 3).process("abcb"), "ab", "truncate first, then the stop string")
    }

    /// Whenever the output is settled, no continuation may change what post-processing keeps.
    func testSettledOutputsNeverChange() throws {
        let processors = [try post(regex: BigBenchLeaf.defaultRegex, max: 12), try post(stop: "\n", max: 12), try post(stop: "ab", regex: "\\w+", max: 12),
                          try post(stop: "ab", regex: BigBenchLeaf.defaultRegex, max: 12), try post(regex: "\\d+", max: 12)]
        let alphabet: [Character] = ["a", "b", " ", ".", "\n", "1", "?"]
        var generator = SystemRandomNumberGenerator()
        for p in processors {
            var settledCount = 0
            for _ in 0..<3000 {
                let text = String((0..<Int.random(in: 0...8, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
                guard p.isSettled(text) else { continue }
                settledCount += 1
                for _ in 0..<5 {
                    let more = String((0..<Int.random(in: 1...6, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
                    XCTAssertEqual(p.process(text + more), p.process(text), "\(text.debugDescription) + \(more.debugDescription)")
                }
            }
            if p.outputRegex == "\\d+" { XCTAssertEqual(settledCount, 0, "a custom regex without a stop string waits for the whole text") }
        }
    }
}
