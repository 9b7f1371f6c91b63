import XCTest
import Foundation
import PalmtopTestSupport

/// The REPL driven through tmux against a real llama.cpp server (scripts/test_server.py): a reply
/// streams, the inspector shows the server's alternatives and says what it cannot supply, Esc stops a
/// reply, and a server killed mid-reply leaves the REPL running with the partial reply kept.
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
        try pane.send("Escape")
        _ = try pane.waitFor("the inspector to close", timeout: 10) { !$0.contains("Token inspector") }

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
}
