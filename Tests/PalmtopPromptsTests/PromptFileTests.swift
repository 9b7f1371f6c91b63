import XCTest
import PalmtopTestSupport
import PalmtopPrompts

/// Loading, validating, rendering and saving prompt files.
final class PromptFileTests: XCTestCase {
    var library: URL { TestSupport.packageRoot.appendingPathComponent("prompts") }

    func testEveryShippedPromptLoadsWithItsDevSet() throws {
        let names = PromptLibrary.names(in: library)
        XCTAssertGreaterThanOrEqual(names.count, 10)
        for name in names {
            let p = try PromptFile.load(nameOrPath: library.appendingPathComponent("\(name).yaml").path)
            XCTAssertEqual(p.name, name)
            XCTAssertTrue((3...8).contains(p.exemplars.count), "\(name) has \(p.exemplars.count) exemplars")
            let dev = try p.loadDevSet()
            XCTAssertTrue((20...50).contains(dev.count), "\(name) has \(dev.count) dev items")
        }
    }

    let valid = """
    name: tiny
    description: test
    model: gemma-3-270m
    mode: complete
    template: "Q: {input}\\nA: {output}"
    separator: "\\n\\n"
    query: "Q: {input}\\nA:"
    exemplars:
      - input: "1+1"
        output: "2"
      - input: "2+2"
        output: "4"
        enabled: false
    extractor:
      kind: first-line
    sampling:
      temperature: 0
      max_tokens: 8
      stop: ["\\n"]
    scoring: exact-match
    """

    func testRenderingMarksEachSpan() throws {
        let p = try PromptFile.parse(valid, path: "<test>")
        let r = p.renderWithSpans(query: "3+3")
        XCTAssertEqual(r.text, "Q: 1+1\nA: 2\n\nQ: 3+3\nA:")
        XCTAssertEqual(r.spans.map(\.source), [.exemplar(0), .separator, .query])
        XCTAssertEqual(String(r.text[r.spans[0].range]), "Q: 1+1\nA: 2")
    }

    func testErrorsNameTheLine() {
        func error(_ text: String) -> PromptFileError? {
            do { _ = try PromptFile.parse(text, path: "/x/tiny.yaml"); return nil } catch { return error as? PromptFileError }
        }
        let unknown = error(valid.replacingOccurrences(of: "scoring: exact-match", with: "scoring: exact-match\ncolour: blue"))
        XCTAssertEqual(unknown?.line, 21)
        XCTAssertTrue(unknown?.message.contains("unknown field 'colour'") ?? false)
        let missing = error(valid.replacingOccurrences(of: "    output: \"2\"\n", with: ""))
        XCTAssertTrue(missing?.message.contains("missing field 'output'") ?? false, "\(String(describing: missing))")
        XCTAssertEqual(missing?.line, 9)
        let badField = error(valid.replacingOccurrences(of: "A: {output}", with: "A: {answer}"))
        XCTAssertTrue(badField?.message.contains("{answer}") ?? false)
        let badRegex = error(valid.replacingOccurrences(of: "kind: first-line", with: "kind: regex\n  pattern: \"([a-z\""))
        XCTAssertTrue(badRegex?.message.contains("bad regex") ?? false)
        let syntax = error("name: [unclosed\n")
        XCTAssertNotNil(syntax?.line)
        XCTAssertNil(error(valid))
        XCTAssertThrowsError(try PromptFile.parse(valid, path: "/x/other.yaml")) {
            XCTAssertTrue("\($0)".hasPrefix("/x/other.yaml:1: name 'tiny' does not match"), "\($0)")
        }
    }

    func testSaveIsAtomicKeepsABackupAndRoundTrips() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-prompts-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tiny.yaml").path
        var p = try PromptFile.parse(valid, path: path)
        try p.save(to: path)
        p.exemplars[0].fields["output"] = "two \"quoted\"\nline"
        try p.save(to: path)
        let reloaded = try PromptFile.load(nameOrPath: path)
        XCTAssertEqual(reloaded.exemplars, p.exemplars)
        XCTAssertEqual(reloaded.sampling.stop, ["\n"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "~"), "the previous version is kept")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [])
    }

    func testExtractors() {
        XCTAssertEqual(AnswerExtractor.lastNumber.extract("3 + 4 = 7. The answer is 1,234."), "1234")
        XCTAssertEqual(AnswerExtractor.lastNumber.extract("It is -3.5"), "-3.5")
        XCTAssertNil(AnswerExtractor.lastNumber.extract("none"))
        XCTAssertEqual(AnswerExtractor.firstLine.extract("\n  Paris \nLyon"), "Paris")
        XCTAssertEqual(AnswerExtractor.regex("answer is (\\w+)").extract("the answer is blue."), "blue")
        XCTAssertEqual(AnswerExtractor.normalize(" Paris. "), "paris")
    }
}

/// Where the library looks: the user's folder from the environment, shipped templates beside it,
/// a user prompt shadowing a shipped one of the same name.
final class PromptLibraryTests: XCTestCase {
    func testUserDirectoryFollowsTheEnvironment() {
        XCTAssertEqual(PromptLibrary.userDirectory(environment: ["PALMTOP_PROMPTS": "/p", "XDG_DATA_HOME": "/x"]).path, "/p")
        XCTAssertEqual(PromptLibrary.userDirectory(environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]).path, "/x/palmtop/prompts")
        XCTAssertEqual(PromptLibrary.userDirectory(environment: ["HOME": "/h"]).path, "/h/.local/share/palmtop/prompts")
        XCTAssertEqual(PromptLibrary.userDirectory(environment: ["XDG_DATA_HOME": "", "HOME": "/h"]).path, "/h/.local/share/palmtop/prompts")
    }

    func testUserPromptsComeFirstAndShadowShippedOnes() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-libdirs-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        for (dir, names) in [("user", ["zeta", "antonyms"]), ("shipped", ["antonyms", "beta"])] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
            for n in names { _ = FileManager.default.createFile(atPath: root.appendingPathComponent("\(dir)/\(n).yaml").path, contents: Data()) }
        }
        let env = ["PALMTOP_PROMPTS": root.appendingPathComponent("user").path, "PALMTOP_SHIPPED_PROMPTS": root.appendingPathComponent("shipped").path]
        let entries = PromptLibrary.entries(environment: env)
        XCTAssertEqual(entries.map(\.name), ["antonyms", "zeta", "beta"])
        XCTAssertEqual(entries.map(\.shipped), [false, false, true])
        let shippedBeta = root.appendingPathComponent("shipped/beta.yaml").path
        XCTAssertTrue(PromptLibrary.isShipped(shippedBeta, environment: env))
        XCTAssertEqual(PromptLibrary.saveTarget(for: shippedBeta, environment: env), root.appendingPathComponent("user/beta.yaml").path)
        let own = root.appendingPathComponent("user/zeta.yaml").path
        XCTAssertEqual(PromptLibrary.saveTarget(for: own, environment: env), own)
    }
}
