import XCTest
import PalmtopEngine
import PalmtopTestSupport
import PalmtopTokenizers

/// Token ids must match the reference tokenizer (llama.cpp via llama-cpp-python) on every fixture string;
/// fixtures come from scripts/make_tokenizer_fixtures.py.
final class TokenizerFixtureTests: XCTestCase {
    struct Case: Decodable {
        var text: String
        var add_bos: Bool
        var special: Bool
        var ids: [Int]
        var roundtrip: Bool?
    }

    func checkFixtures(model: String) throws {
        let file = try GGUFFile(path: TestSupport.modelPath(model))
        let tokenizer = try Vocabulary.tokenizer(for: file)
        // JSONDecoder, not JSONSerialization: the latter drops U+FEFF inside strings on Linux.
        let lines = try String(contentsOf: TestSupport.fixture("tokenizer/\(model).jsonl"), encoding: .utf8).split(separator: "\n")
        let cases = try lines.map { try JSONDecoder().decode(Case.self, from: Data($0.utf8)) }
        XCTAssertGreaterThanOrEqual(cases.count, 600)
        var failures = 0
        for c in cases {
            let ids = tokenizer.encode(c.text, addBOS: c.add_bos, parseSpecial: c.special)
            if ids != c.ids {
                failures += 1
                if failures <= 10 { XCTFail("\(model): \(c.text.debugDescription) special=\(c.special): got \(ids.prefix(20)), expected \(c.ids.prefix(20))") }
            }
            if c.roundtrip == true {
                let body = c.add_bos && ids.first == tokenizer.bosID ? Array(ids.dropFirst()) : ids
                XCTAssertEqual(Array(tokenizer.decode(body, special: c.special).utf8), Array(c.text.utf8), "round trip of \(c.text.debugDescription)")
            }
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(cases.count) fixture strings differ")
    }

    func testGemmaMatchesReference() throws { try checkFixtures(model: "gemma-3-270m") }
    func testSmolLMMatchesReference() throws { try checkFixtures(model: "smollm2-135m-instruct") }

    func testStreamingDecoderNeverSplitsCharacters() {
        var acc = UTF8Accumulator()
        let bytes = Array("a😀é中".utf8)
        var out = ""
        for b in bytes {
            let piece = acc.append([b])
            XCTAssertFalse(piece.contains("\u{FFFD}"))
            out += piece
        }
        XCTAssertEqual(out, "a😀é中")
        XCTAssertFalse(acc.hasPending)
    }

    func testUnknownTokenizerModelIsAnError() {
        let spec = VocabularySpec(model: "wordpiece", preTokenizer: nil, tokens: ["a"], scores: [0], kinds: [.normal], merges: [],
                                  bosID: nil, eosID: nil, addBOS: false, addSpacePrefix: false)
        XCTAssertThrowsError(try makeTokenizer(spec)) { XCTAssertEqual($0 as? TokenizerError, .unknownModel("wordpiece")) }
        var bpe = spec
        bpe.model = "gpt2"
        bpe.preTokenizer = "qwen9"
        XCTAssertThrowsError(try makeTokenizer(bpe)) { XCTAssertEqual($0 as? TokenizerError, .unknownPreTokenizer("qwen9")) }
    }
}
