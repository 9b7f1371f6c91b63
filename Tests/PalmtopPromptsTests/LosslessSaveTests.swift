import XCTest
import PalmtopTestSupport
import PalmtopPrompts

/// Saving changes a prompt file only where the prompt changed: comments, key order, block scalars,
/// quoting and keys the editor does not touch stay byte for byte.
final class LosslessSaveTests: XCTestCase {
    var library: URL { TestSupport.packageRoot.appendingPathComponent("prompts") }
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-lossless-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A file using every key the loader accepts, with comments, a folded and a literal block, single
    /// quotes, plain scalars and a block-style stop list.
    let everyKey = """
    # A prompt written by hand.
    name: every-key
    description: >-
      A folded description that runs over
      two lines.
    model: gemma-3-270m   # the base model
    mode: complete
    instruction: |
      Answer each question.
      Keep it short.
    template: 'Q: {input}

      A: {reasoning} So {output}.'
    separator: "\\n\\n"
    query: "Q: {input}\\nA:"
    exemplars:
      # the easy one first
      - input: one plus one
        reasoning: "1 + 1 = 2."
        output: "2"

      - input: two plus two
        reasoning: "2 + 2 = 4."
        output: "4"
        enabled: false
      - input: 'three plus three'
        reasoning: "3 + 3 = 6."
        output: "6"  # checked by hand
    extractor:
      kind: regex
      pattern: "So (\\\\d+)"
    sampling:
      temperature: 0.7
      top_k: 20
      top_p: 0.9
      min_p: 0.1
      repeat_penalty: 1.1
      repeat_last_n: -1
      presence_penalty: 0.5
      frequency_penalty: 0.25
      seed: 7
      max_tokens: 16
      stop:
        - "\\n"
        - "Q:"
      order: [penalties, temperature, top_k, top_p, min_p]
    scoring: exact-match
    dev: every-key.dev.jsonl
    # trailing comment

    """

    func write(_ text: String, _ name: String) -> String {
        let path = dir.appendingPathComponent("\(name).yaml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Lines of `before` that `after` replaced: the middle left once the common first and last lines are set aside.
    func changedLines(_ before: String, _ after: String) -> (removed: [Substring], added: [Substring]) {
        let a = before.split(separator: "\n", omittingEmptySubsequences: false), b = after.split(separator: "\n", omittingEmptySubsequences: false)
        var prefix = 0
        while prefix < min(a.count, b.count) && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < min(a.count, b.count) - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        return (Array(a[prefix..<(a.count - suffix)]), Array(b[prefix..<(b.count - suffix)]))
    }

    func testEveryShippedPromptSavesUnchangedAndLoadsEqual() throws {
        for name in PromptLibrary.names(in: library) {
            let original = text(library.appendingPathComponent("\(name).yaml").path)
            let path = write(original, name)
            let p = try PromptFile.load(nameOrPath: path)
            try p.save(to: path)
            XCTAssertEqual(text(path), original, "\(name) changed on a save without edits")
            XCTAssertEqual(try PromptFile.load(nameOrPath: path), p)
            // The whole-file writer (new prompts, recovery files) also loads back equal.
            var fresh = try PromptFile.parse(p.yaml(), path: path)
            fresh.path = p.path
            XCTAssertEqual(fresh, p, "\(name) through yaml()")
        }
    }

    func testEditingOneExemplarChangesOnlyItsLinesInEveryShippedPrompt() throws {
        for name in PromptLibrary.names(in: library) {
            let original = text(library.appendingPathComponent("\(name).yaml").path)
            let path = write(original, name)
            var p = try PromptFile.load(nameOrPath: path)
            let old = p.exemplars[1].fields["output"]!
            p.exemplars[1].fields["output"] = old + " (edited)"
            try p.save(to: path)
            let diff = changedLines(original, text(path))
            XCTAssertEqual(diff.removed.count, 1, "\(name): \(diff)")
            XCTAssertEqual(diff.added.count, 1, "\(name): \(diff)")
            XCTAssertTrue(diff.added.first?.contains("(edited)") ?? false, "\(name): \(diff)")
            XCTAssertEqual(try PromptFile.load(nameOrPath: path), p)
        }
    }

    func testAFileWithEveryKeyAndCommentsRoundTrips() throws {
        let path = write(everyKey, "every-key")
        let p = try PromptFile.load(nameOrPath: path)
        XCTAssertEqual(p.sampling.repeatLastN, -1)
        XCTAssertEqual(p.sampling.order, [.penalties, .temperature, .topK, .topP, .minP])
        try p.save(to: path)
        XCTAssertEqual(text(path), everyKey)
        XCTAssertEqual(try PromptFile.load(nameOrPath: path), p)
    }

    /// Line breaks other than "\n" (NEL, LS, PS) and characters YAML cannot print raw (C1 controls, BOM)
    /// in values of every style: the saved file loads back equal, patched or written whole (FuzzPromptFile
    /// found the whole-file writer leaving NEL raw inside double quotes, where it reads as a line break).
    func testLineBreaksAndUnprintableCharactersInValuesLoadBackAfterSaving() throws {
        let path = write(everyKey, "every-key")
        let odd = ["\u{85}", "\u{2028}", "\u{2029}", "\u{9b}", "\u{feff}", "\u{1}", "\u{fffe}"]
        for ch in odd {
            _ = FileManager.default.createFile(atPath: path, contents: Data(everyKey.utf8))
            var p = try PromptFile.load(nameOrPath: path)
            p.description += " a\(ch)b"                                  // folded block
            p.instruction = (p.instruction ?? "") + "x\(ch)"             // literal block
            p.template += "\(ch)"                                        // single-quoted
            p.exemplars[0].fields["input"]! += "\(ch)c"                  // plain
            p.exemplars[0].fields["reasoning"]! += "\(ch)"               // double-quoted
            // After a letter: a stop of U+FEFF alone, written "\uFEFF", loads back as "" (the YAML library
            // drops it; not yet looked into), so a prompt holding it cannot be saved and says so.
            p.sampling.stop.append("s\(ch)")                             // block list
            let name = "U+" + String(ch.unicodeScalars.first!.value, radix: 16)
            let written = p.yaml()
            var fresh = try PromptFile.parse(written, path: path)
            fresh.path = p.path
            XCTAssertEqual(fresh, p, "yaml() with \(name):\n\(written)")
            try p.save(to: path)
            XCTAssertEqual(try PromptFile.load(nameOrPath: path), p, name)
        }
    }

    /// Each edit the exemplar editor can make, with the exact lines it may change.
    func testEachEditChangesOnlyItsOwnLines() throws {
        let path = write(everyKey, "every-key")
        let base = try PromptFile.load(nameOrPath: path)
        func check(_ what: String, _ edit: (inout PromptFile) -> Void, removed: [String], added: [String],
                   file: StaticString = #filePath, line: UInt = #line) throws {
            _ = FileManager.default.createFile(atPath: path, contents: Data(everyKey.utf8))
            var p = base
            edit(&p)
            try p.save(to: path)
            let diff = changedLines(everyKey, text(path))
            XCTAssertEqual(diff.removed.map(String.init), removed, what, file: file, line: line)
            XCTAssertEqual(diff.added.map(String.init), added, what, file: file, line: line)
            XCTAssertEqual(try PromptFile.load(nameOrPath: path), p, what, file: file, line: line)
        }
        try check("plain field", { $0.exemplars[0].fields["input"] = "one and one" },
                  removed: ["  - input: one plus one"], added: ["  - input: one and one"])
        try check("quoted field keeps its comment", { $0.exemplars[2].fields["output"] = "six" },
                  removed: ["    output: \"6\"  # checked by hand"], added: ["    output: \"six\"  # checked by hand"])
        try check("single-quoted field", { $0.exemplars[2].fields["input"] = "it's three" },
                  removed: ["  - input: 'three plus three'"], added: ["  - input: 'it''s three'"])
        try check("switching an exemplar on", { $0.exemplars[1].enabled = true },
                  removed: ["    enabled: false"], added: ["    enabled: true"])
        try check("switching one off", { $0.exemplars[0].enabled = false },
                  removed: [], added: ["    enabled: false"])
        try check("a sampling value", { $0.sampling.topK = 5 }, removed: ["  top_k: 20"], added: ["  top_k: 5"])
        try check("the stop list", { $0.sampling.stop = ["\n\n"] },
                  removed: ["  stop:", "    - \"\\n\"", "    - \"Q:\""], added: ["  stop: [\"\\n\\n\"]"])
        try check("the model keeps its comment", { $0.model = "smollm2-135m-instruct" },
                  removed: ["model: gemma-3-270m   # the base model"], added: ["model: smollm2-135m-instruct   # the base model"])
        try check("the folded description stays folded", { $0.description = "A shorter description." },
                  removed: ["  A folded description that runs over", "  two lines."], added: ["  A shorter description."])
        // Moving the last exemplar up: both keep their own lines, comments included.
        let moved = everyKey.replacingOccurrences(of: """
              - input: two plus two
                reasoning: "2 + 2 = 4."
                output: "4"
                enabled: false
              - input: 'three plus three'
                reasoning: "3 + 3 = 6."
                output: "6"  # checked by hand

            """, with: """
              - input: 'three plus three'
                reasoning: "3 + 3 = 6."
                output: "6"  # checked by hand
              - input: two plus two
                reasoning: "2 + 2 = 4."
                output: "4"
                enabled: false

            """)
        var p = base
        p.exemplars.swapAt(1, 2)
        _ = FileManager.default.createFile(atPath: path, contents: Data(everyKey.utf8))
        try p.save(to: path)
        XCTAssertEqual(text(path), moved)
        // Adding one after the first writes it in the file's indentation and the first one's styles.
        p = base
        p.exemplars.insert(Exemplar(fields: ["input": "four plus four", "reasoning": "4 + 4 = 8.", "output": "8"]), at: 1)
        try check("an added exemplar", { $0 = p }, removed: [],
                  added: ["  - input: four plus four", "    reasoning: \"4 + 4 = 8.\"", "    output: \"8\""])
        p = base
        p.exemplars.remove(at: 1)
        try check("a deleted exemplar", { $0 = p }, removed: ["  - input: two plus two", "    reasoning: \"2 + 2 = 4.\"", "    output: \"4\"", "    enabled: false"], added: [])
    }

    /// A key the file did not have is added beside its siblings.
    func testAMissingSamplingKeyIsAddedInItsBlock() throws {
        let original = text(library.appendingPathComponent("antonyms.yaml").path)
        let path = write(original, "antonyms")
        var p = try PromptFile.load(nameOrPath: path)
        p.sampling.seed = 1234
        try p.save(to: path)
        let diff = changedLines(original, text(path))
        XCTAssertEqual(diff.removed, [])
        XCTAssertEqual(diff.added, ["  seed: 1234"])
        XCTAssertEqual(try PromptFile.load(nameOrPath: path), p)
    }
}
