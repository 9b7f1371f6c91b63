import XCTest
import PalmtopEngine

/// The n-gram proposer alone, on small token lists (no model).
final class PromptLookupTests: XCTestCase {
    let lookup = PromptLookup(ngramMin: 1, ngramMax: 3, maxDraft: 4)

    func testProposesWhatFollowedTheLatestOccurrence() {
        // "5 6" occurs twice before the end; the later one (followed by 9) wins.
        XCTAssertEqual(lookup.propose(after: [5, 6, 7, 8, 5, 6, 9, 1, 5, 6], limit: 10), [9, 1, 5, 6])
    }

    func testALongerMatchBeatsALaterShorterOne() {
        // The last 3 tokens "1 2 3" occur at the start (then 4); "2 3" alone occurs later (then 8).
        XCTAssertEqual(lookup.propose(after: [1, 2, 3, 4, 9, 2, 3, 8, 0, 1, 2, 3], limit: 1), [4])
    }

    func testNoEarlierOccurrenceProposesNothing() {
        XCTAssertEqual(lookup.propose(after: [1, 2, 3, 4], limit: 4), [])
        XCTAssertEqual(lookup.propose(after: [7], limit: 4), [])
        XCTAssertEqual(lookup.propose(after: [], limit: 4), [])
    }

    func testLimitsAndTheEndOfTheContextCutTheDraft() {
        let context = [1, 2, 3, 4, 5, 6, 1, 2]
        XCTAssertEqual(lookup.propose(after: context, limit: 2), [3, 4])
        XCTAssertEqual(lookup.propose(after: context, limit: 100), [3, 4, 5, 6], "maxDraft caps it")
        XCTAssertEqual(lookup.propose(after: context, limit: 0), [])
        // Only one token follows the match before the context ends.
        XCTAssertEqual(lookup.propose(after: [4, 9, 3, 4], limit: 4), [9, 3, 4])
    }

    func testARepeatingPatternPredictsItselfThroughTheOverlap() {
        // The latest "1 2" starts two tokens back and overlaps the suffix.
        XCTAssertEqual(lookup.propose(after: [1, 2, 1, 2], limit: 4), [1, 2])
        XCTAssertEqual(lookup.propose(after: [7, 7, 7], limit: 4), [7])
    }

    func testTheShortestNgramIsRespected() {
        let strict = PromptLookup(ngramMin: 2, ngramMax: 3, maxDraft: 4)
        // Only the single token 5 recurs: too short for a match of at least two.
        XCTAssertEqual(strict.propose(after: [5, 8, 9, 1, 5], limit: 4), [])
        XCTAssertEqual(lookup.propose(after: [5, 8, 9, 1, 5], limit: 4), [8, 9, 1, 5])
    }
}
