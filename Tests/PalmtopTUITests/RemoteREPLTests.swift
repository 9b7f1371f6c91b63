import XCTest
import Foundation
import PalmtopTestSupport

/// The REPL driven through tmux against a real llama.cpp server (scripts/test_server.py): a reply
/// streams, the inspector shows the server's alternatives and says what it cannot supply, /backend
/// switches to the in-process model and back, Esc stops a reply, and a server killed mid-reply leaves
/// the REPL running with the partial reply kept.
final class RemoteREPLTests: XCTestCase {
    func testChatOverARemoteServer() throws {
        let binary = try TmuxPane.binary()
        let server = try ScriptServer(script: "test_server.py", arguments: [TestSupport.modelPath("smollm2-135m-instruct")])
        defer { server.stop() }
        let pane = TmuxPane(name: "remote")
        try pane.start()
        defer { pane.stop() }

        try pane.type("'\(binary)' chat --backend \(server.url)")
        _ = try pane.waitFor("the REPL on the server", timeout: 30) { $0.contains("F1 help") && $0.contains("smollm2-135m-instruct.gguf │ chat") }
        try pane.type("/set max_tokens 12")
        try pane.type("Say hello.")
        _ = try pane.waitFor("a streamed reply", timeout: 60) { $0.contains("tok/s") && !$0.contains("● generating") }
        try pane.send("F3")
        // The frame appears a moment before its rows: wait for the rows too.
        let inspector = try pane.waitFor("the inspector", timeout: 10) { $0.contains("Token inspector") && $0.contains("post p") }
        XCTAssertTrue(inspector.contains("not available from this server"), inspector)
        XCTAssertTrue(inspector.contains("post p n/a"), inspector)
        // The server sent its top log-probabilities, so the inspector lists them: an alternative's row is
        // its quoted text, a bar and its probability ("0.812") at the row's end. A reply without them
        // would show the "alternatives: not available" line instead (the footer's "not available from
        // this server" above is about the post-sampler column, which no server has).
        XCTAssertFalse(inspector.contains("alternatives: not available"), inspector)
        let alternativeRow = #"^\s*•?\s*".*\s[01]\.\d{3}\s*$"#
        XCTAssertTrue(inspector.split(separator: "\n").contains { $0.range(of: alternativeRow, options: .regularExpression) != nil },
                      "no alternative with its probability:\n\(inspector)")
        try pane.send("Escape")
        _ = try pane.waitFor("the inspector to close", timeout: 10) { !$0.contains("Token inspector") }
        // llama.cpp's server takes every sampler setting, so the panel marks none.
        try pane.send("F2")
        let panel = try pane.waitFor("the sampling panel", timeout: 10) { $0.contains("Sampling — applies") && $0.contains("order") }
        XCTAssertFalse(panel.contains("ignored by this server"), panel)
        try pane.send("Escape")
        _ = try pane.waitFor("the sampling panel to close", timeout: 10) { !$0.contains("Sampling — applies") }

        // /backend local loads the default model in-process, /backend URL goes back to the server; each
        // time the REPL says what it now drives, in the message line and in /show. (The server's /show
        // line is awaited only after the in-process one has been seen, so the earlier is not mistaken for it.)
        try pane.type("/backend local")
        _ = try pane.waitFor("the in-process model", timeout: 60) { $0.contains("smollm2-135m-instruct (llama) ready, chat mode — in-process") }
        try pane.type("/show")
        try pane.waitFor("backend in-process · llama")
        try pane.type("/backend \(server.url)")
        _ = try pane.waitFor("the server again", timeout: 30) { $0.contains("smollm2-135m-instruct.gguf (llama.cpp server) ready, chat mode") }
        try pane.type("/show")
        try pane.waitFor("backend llama.cpp server at \(server.url)")
        try pane.waitFor("draft: none (a server decodes by itself)")
        // Drafting is the in-process engine's: the server's capabilities say so, and so does the REPL.
        try pane.type("/draft prompt-lookup")
        try pane.waitFor("drafting is for in-process models only: a server decodes by itself")

        // Esc stops a long reply by closing the stream. In completion mode the server continues the
        // transcript as text (/v1/completions), and greedy counting runs for hundreds of tokens.
        try pane.type("/set max_tokens 2000")
        try pane.type("/set temperature 0")
        try pane.type("/mode complete")
        try pane.type("1, 2, 3, 4, 5, 6, 7, 8, 9, 10,")
        _ = try pane.waitFor("tokens streaming", timeout: 60) { $0.contains("● generating") }
        try pane.send("Escape")
        _ = try pane.waitFor("the stopped reply", timeout: 30) { $0.contains("[stopped]") && !$0.contains("● generating") }

        // The server dies mid-reply: the REPL stays, keeps what arrived, and says what happened.
        try pane.type("/clear")
        try pane.type("100, 101, 102, 103, 104,")
        _ = try pane.waitFor("a few numbers of the reply", timeout: 60) { $0.contains("● generating") && $0.contains("107,") }
        server.kill()
        let after = try pane.waitFor("the interrupted reply", timeout: 60) { $0.contains("[interrupted]") }
        XCTAssertTrue(after.contains("closed the connection") || after.contains("cannot connect") || after.contains("ended before"), after)
        try pane.type("/show")
        try pane.waitFor("backend llama.cpp server at")
        try pane.send("C-d")
        try pane.waitForShell()
    }

    /// On a vLLM server (a recording: none runs here) the sampling panel marks the settings vLLM
    /// does not take — the penalty window and the sampler order — as /show does. The recording answers
    /// the completion only with its bearer token (scripts/make_remote_recordings.py), so the reply
    /// arriving shows --api-key reached the server; the conversation /save writes does not hold the key.
    func testTheSamplingPanelMarksWhatTheServerIgnores() throws {
        let binary = try TmuxPane.binary()
        let server = try ScriptServer(script: "replay_server.py", timeout: 30)
        defer { server.stop() }
        let pane = TmuxPane(name: "remote-f2")
        try pane.start(width: 130, height: 40)
        defer { pane.stop() }
        let key = "sk-palmtop-recorded-key"
        let saved = NSTemporaryDirectory() + "palmtop-remote-save-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: saved) }
        try pane.type("'\(binary)' chat --backend \(server.url)/vllm-generate --api-key \(key)")
        _ = try pane.waitFor("the REPL on the recorded server", timeout: 30) { $0.contains("F1 help") && $0.contains("vLLM") }
        try pane.send("F2")
        let panel = try pane.waitFor("the sampling panel", timeout: 10) { $0.contains("Sampling — applies") && $0.contains("order ") }
        let rows = panel.split(separator: "\n")
        for name in ["repeat_last_n", "order"] {
            let row = rows.first { $0.contains(" \(name) ") } ?? ""
            XCTAssertTrue(row.contains("(ignored by this server)"), "\(name): \(row)")
        }
        XCTAssertEqual(rows.filter { $0.contains("(ignored by this server)") }.count, 2, panel)
        try pane.send("Escape")
        _ = try pane.waitFor("the sampling panel to close", timeout: 10) { !$0.contains("Sampling — applies") }

        // The recorded completion: the transcript as text, vLLM's repetition_penalty at 1.5, and the key.
        try pane.type("/mode complete")
        try pane.type("/set repeat_penalty 1.5")
        try pane.type("The capital of France is")
        let reply = try pane.waitFor("the recorded reply", timeout: 30) { ($0.contains("Paris.") && $0.contains("tok/s")) || $0.contains("refused") }
        XCTAssertFalse(reply.contains("refused"), "the server refused the request (the key did not reach it?):\n\(reply)")
        try pane.type("/save \(saved)")
        try pane.waitFor("turns to /")
        let file = try String(contentsOfFile: saved, encoding: .utf8)
        XCTAssertTrue(file.contains(" Paris"), "the reply is in the file:\n\(file)")
        XCTAssertFalse(file.contains(key), "the API key is never saved:\n\(file)")
        try pane.send("C-d")
        try pane.waitForShell()
    }
}
