import XCTest
import Foundation
import PalmtopTestSupport

/// Drives the release binary in a real terminal (a tmux pane), the way a person would.
/// The binary is `.build/release/palmtop` (`make test` builds it first); `PALMTOP_BIN` points elsewhere.
final class EndToEndTests: XCTestCase {
    func testChatStreamsSetsAndQuitsLeavingASaneTerminal() throws {
        let binary = try TmuxPane.binary()
        let pane = TmuxPane(name: "chat")
        try pane.start()
        defer { pane.stop() }

        try pane.type("'\(binary)' chat --model smollm2-135m-instruct")
        _ = try pane.waitFor("the REPL", timeout: 30) { $0.contains("F1 help") && $0.contains("smollm2-135m-instruct") }
        try pane.type("/set max_tokens 40")
        try pane.type("Say hello in one short sentence.")
        let replied = try pane.waitFor("the reply and its speed", timeout: 60) { s in
            s.contains("▌smollm2-135m-instruct") && s.contains("tok/s") && !s.contains("● generating")
        }
        let reply = replied.components(separatedBy: "▌smollm2-135m-instruct\n")[1].split(separator: "\n").first ?? ""
        XCTAssertFalse(reply.trimmingCharacters(in: .whitespaces).isEmpty, "empty reply:\n\(replied)")

        try pane.type("/set temperature 0.5")
        try pane.waitFor("temperature = 0.5")
        try pane.type("/show")
        _ = try pane.waitFor("/show's settings", timeout: 10) { s in
            s.split(separator: "\n").contains { $0.hasPrefix("  temperature ") && $0.hasSuffix(" 0.5") }
        }

        try pane.send("C-d")
        try pane.waitForShell()
        // Canonical mode and echo are back: the shell reads and echoes a line normally.
        try pane.type("stty -a | grep -q -w -- -icanon && echo BROKEN || echo SANE-$((40+2))")
        let answer = try pane.waitFor("the shell's answer", timeout: 10) { s in s.split(separator: "\n").contains { $0.hasSuffix("SANE-42") || $0.hasSuffix("BROKEN") } }
        XCTAssertTrue(answer.split(separator: "\n").contains { $0.hasSuffix("SANE-42") }, "the terminal was left in raw mode:\n\(answer)")
    }

    /// F4 → open a prompt → edit an exemplar → run the dev set → accuracy on screen → save → quit →
    /// reopen: the edit is still there. The library is a temporary copy, so the checkout is never written.
    func testLibraryEditRunSaveAndReopen() throws {
        let binary = try TmuxPane.binary()
        let library = NSTemporaryDirectory() + "palmtop-e2e-library-\(getpid())"
        try? FileManager.default.removeItem(atPath: library)
        try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: library) }
        let shipped = TestSupport.packageRoot.appendingPathComponent("prompts")
        try FileManager.default.copyItem(atPath: shipped.appendingPathComponent("antonyms.yaml").path, toPath: library + "/antonyms.yaml")
        // Four dev items keep the run to a few seconds.
        let dev = try String(contentsOf: shipped.appendingPathComponent("antonyms.dev.jsonl"), encoding: .utf8)
        try dev.split(separator: "\n").prefix(4).joined(separator: "\n").write(toFile: library + "/antonyms.dev.jsonl", atomically: true, encoding: .utf8)

        let pane = TmuxPane(name: "library")
        try pane.start()
        defer { pane.stop() }
        let command = "PALMTOP_PROMPTS='\(library)' '\(binary)' chat --model gemma-3-270m --mode complete"
        /// Starts the REPL, opens the library (F4) and its first prompt, and waits for `firstExemplar`.
        func openAntonyms(showing firstExemplar: String) throws {
            try pane.type(command)
            try pane.waitFor("F1 help", timeout: 30)
            try pane.send("F4")
            try pane.waitFor("Prompt library")
            try pane.send("Enter")
            try pane.waitFor("antonyms — exemplar editor")
            try pane.waitFor(firstExemplar)
        }
        /// Leaves the editor and the library (Escape twice) and quits the REPL back to the shell.
        func closeEditorLibraryAndQuit() throws {
            try pane.send("Escape")
            try pane.waitFor("Prompt library")
            try pane.send("Escape")
            _ = try pane.waitFor("the library to close", timeout: 10) { !$0.contains("Prompt library") && $0.contains("F1 help") }
            try pane.send("C-d")
            try pane.waitForShell()
        }
        try openAntonyms(showing: "[x] 1. hot  →  cold")

        // Edit exemplar 1: both fields, Tab between them, Enter keeps.
        try pane.send("e")
        try pane.waitFor("exemplar 1 · input:")
        try pane.send("C-u")
        try pane.send("warm", literal: true)
        try pane.send("Tab")
        try pane.waitFor("exemplar 1 · output:")
        try pane.send("C-u")
        try pane.send("cool", literal: true)
        try pane.send("Enter")
        try pane.waitFor("[x] 1. warm  →  cool")
        try pane.waitFor("antonyms (modified)")

        try pane.send("d")
        let ran = try pane.waitFor("the dev-set accuracy", timeout: 60) { $0.contains("/4 correct (") }
        XCTAssertTrue(ran.contains("prompt tokens reused"), ran)
        XCTAssertNotNil(ran.range(of: #"dev set: [0-4]/4 correct \([0-9.]+%\)"#, options: .regularExpression), ran)

        try pane.send("s")
        try pane.waitFor("saved \(library)/antonyms.yaml")
        XCTAssertFalse(FileManager.default.fileExists(atPath: library + "/.antonyms.yaml.recovery"), "saving removes the recovery file")
        try closeEditorLibraryAndQuit()

        try openAntonyms(showing: "[x] 1. warm  →  cool")
        XCTAssertFalse(try pane.screen().contains("(modified)"), "the edit comes from the file, not from a recovery")
        try closeEditorLibraryAndQuit()
    }

    /// A shipped template opened from the library and saved lands in the user's library as a copy
    /// (dev set along); the shipped file stays byte for byte as it was.
    func testSavingAShippedTemplateWritesACopyIntoTheUserLibrary() throws {
        let binary = try TmuxPane.binary()
        let root = NSTemporaryDirectory() + "palmtop-e2e-shipped-\(getpid())"
        let shippedDir = root + "/shipped", userDir = root + "/user"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: shippedDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let checkout = TestSupport.packageRoot.appendingPathComponent("prompts")
        try FileManager.default.copyItem(atPath: checkout.appendingPathComponent("antonyms.yaml").path, toPath: shippedDir + "/antonyms.yaml")
        try FileManager.default.copyItem(atPath: checkout.appendingPathComponent("antonyms.dev.jsonl").path, toPath: shippedDir + "/antonyms.dev.jsonl")
        let original = try Data(contentsOf: URL(fileURLWithPath: shippedDir + "/antonyms.yaml"))

        let pane = TmuxPane(name: "shipped")
        try pane.start()
        defer { pane.stop() }
        try pane.type("PALMTOP_SHIPPED_PROMPTS='\(shippedDir)' PALMTOP_PROMPTS='\(userDir)' '\(binary)' chat --model gemma-3-270m --mode complete")
        try pane.waitFor("F1 help", timeout: 30)
        try pane.send("F4")
        try pane.waitFor("antonyms ·shipped")
        // The preview wraps at the panel's width; the start of the line is enough.
        try pane.waitFor("shipped template: saving it writes a copy")
        try pane.send("Enter")
        try pane.waitFor("shipped template: s saves a copy")
        try pane.waitFor("[x] 1. hot  →  cold")
        try pane.send("e")
        try pane.waitFor("exemplar 1 · input:")
        try pane.send("C-u")
        try pane.send("warm", literal: true)
        try pane.send("Enter")
        try pane.waitFor("[x] 1. warm  →  cold")
        try pane.send("s")
        try pane.waitFor("saved a copy in your library")
        let copy = try String(contentsOfFile: userDir + "/antonyms.yaml", encoding: .utf8)
        XCTAssertTrue(copy.contains("- input: \"warm\""), copy)
        XCTAssertTrue(FileManager.default.fileExists(atPath: userDir + "/antonyms.dev.jsonl"), "the dev set comes along")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: shippedDir + "/antonyms.yaml")), original, "the shipped file is untouched")
        try pane.send("Escape")
        try pane.waitFor("Prompt library")
        // The user's copy now shadows the template: one antonyms, not marked shipped.
        _ = try pane.waitFor("the user's copy in the list", timeout: 10) { $0.contains("› antonyms") && !$0.contains("antonyms ·shipped") }
        try pane.send("Escape")
        _ = try pane.waitFor("the library to close", timeout: 10) { !$0.contains("Prompt library") && $0.contains("F1 help") }
        try pane.send("C-d")
        try pane.waitForShell()
    }
}
