import XCTest
import Foundation
import PalmtopTestSupport

/// Drives the release binary in a real terminal (a tmux pane), the way a person would.
/// The binary is `.build/release/palmtop` (`make test` builds it first); `PALMTOP_BIN` points elsewhere.
final class EndToEndTests: XCTestCase {
    /// A private tmux server for this test process, so parallel runs cannot disturb each other.
    private let server = "palmtop-test-\(getpid())"

    /// Runs tmux and returns its exit status and standard output. tmux is spawned directly, not with
    /// Foundation's Process: the server it starts would inherit Process's pipe and the wait would never end.
    @discardableResult
    private func tmux(_ args: [String]) throws -> (status: Int32, output: String) {
        let outPath = NSTemporaryDirectory() + "palmtop-tmux-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = (["tmux", "-u", "-L", server, "-f", "/dev/null"] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "tmux", &actions, nil, argv, environ)
        guard spawned == 0 else { throw EndToEndFailure("tmux is not installed (posix_spawnp: \(spawned)); make test installs it") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        return ((status >> 8) & 0xFF, output)
    }

    private func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", "e2e"]).output }

    private func type(_ text: String) throws {
        try tmux(["send-keys", "-t", "e2e", "-l", text])
        try tmux(["send-keys", "-t", "e2e", "Enter"])
    }

    /// Polls the pane until `condition` holds; fails with the last screen after `timeout` seconds.
    private func waitFor(_ what: String, timeout: TimeInterval, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(200_000)
        }
        throw EndToEndFailure("timed out after \(Int(timeout)) s waiting for \(what); the screen was:\n\(last)")
    }

    func testChatStreamsSetsAndQuitsLeavingASaneTerminal() throws {
        let binary = ProcessInfo.processInfo.environment["PALMTOP_BIN"]
            ?? TestSupport.packageRoot.appendingPathComponent(".build/release/palmtop").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw EndToEndFailure("\(binary) is missing: build it with `swift build -c release` (make test does)")
        }
        try tmux(["kill-server"])
        let started = try tmux(["new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30",
                                "-e", "LANG=C.UTF-8", "PS1='palmtop-shell$ ' exec sh"])
        guard started.status == 0 else { throw EndToEndFailure("tmux could not start a session") }
        // tmux 3.3 leaves its socket file behind after kill-server.
        let socket = try tmux(["display-message", "-p", "#{socket_path}"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        defer {
            _ = try? tmux(["kill-server"])
            if !socket.isEmpty { unlink(socket) }
        }
        _ = try waitFor("the shell prompt", timeout: 10) { $0.contains("palmtop-shell$") }

        try type("'\(binary)' chat --model smollm2-135m-instruct")
        _ = try waitFor("the REPL", timeout: 30) { $0.contains("F1 help") && $0.contains("smollm2-135m-instruct") }
        try type("/set max_tokens 40")
        try type("Say hello in one short sentence.")
        let replied = try waitFor("the reply and its speed", timeout: 60) { s in
            s.contains("▌smollm2-135m-instruct") && s.contains("tok/s") && !s.contains("● generating")
        }
        let reply = replied.components(separatedBy: "▌smollm2-135m-instruct\n")[1].split(separator: "\n").first ?? ""
        XCTAssertFalse(reply.trimmingCharacters(in: .whitespaces).isEmpty, "empty reply:\n\(replied)")

        try type("/set temperature 0.5")
        _ = try waitFor("the /set confirmation", timeout: 10) { $0.contains("temperature = 0.5") }
        try type("/show")
        _ = try waitFor("/show's settings", timeout: 10) { s in
            s.split(separator: "\n").contains { $0.hasPrefix("  temperature ") && $0.hasSuffix(" 0.5") }
        }

        try tmux(["send-keys", "-t", "e2e", "C-d"])
        _ = try waitFor("the shell after quitting", timeout: 10) { s in
            s.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.trimmingCharacters(in: .whitespaces) == "palmtop-shell$"
                && !s.contains("F1 help")
        }
        // Canonical mode and echo are back: the shell reads and echoes a line normally.
        try type("stty -a | grep -q -w -- -icanon && echo BROKEN || echo SANE-$((40+2))")
        let answer = try waitFor("the shell's answer", timeout: 10) { s in s.split(separator: "\n").contains { $0.hasSuffix("SANE-42") || $0.hasSuffix("BROKEN") } }
        XCTAssertTrue(answer.split(separator: "\n").contains { $0.hasSuffix("SANE-42") }, "the terminal was left in raw mode:\n\(answer)")
    }
}

/// A failed step of the end-to-end run; XCTest reports the thrown error as the test's failure.
struct EndToEndFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
