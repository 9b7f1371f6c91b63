import Foundation
import PalmtopTestSupport

/// One tmux pane on a private tmux server, for driving the release binary the way a person would.
/// Each test makes its own (`palmtop-test-<pid>-<name>`), so tests cannot disturb each other, and
/// `stop()` kills the server and removes its socket.
final class TmuxPane {
    private let server: String
    private var socket = ""

    init(name: String) { server = "palmtop-test-\(getpid())-\(name)" }

    /// The binary under test: `PALMTOP_BIN`, else the checkout's `.build/release/palmtop`.
    static func binary() throws -> String {
        let binary = ProcessInfo.processInfo.environment["PALMTOP_BIN"]
            ?? TestSupport.packageRoot.appendingPathComponent(".build/release/palmtop").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw EndToEndFailure("\(binary) is missing: build it with `swift build -c release` (make test does)")
        }
        return binary
    }

    /// Runs tmux and returns its exit status and standard output. tmux is spawned directly, not with
    /// Foundation's Process: the server it starts would inherit Process's pipe and the wait would never end.
    @discardableResult
    func tmux(_ args: [String]) throws -> (status: Int32, output: String) {
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

    /// Starts a shell in a `width` × `height` pane and waits for its prompt.
    func start(width: Int = 100, height: Int = 30) throws {
        try tmux(["kill-server"])
        let started = try tmux(["new-session", "-d", "-s", "e2e", "-x", "\(width)", "-y", "\(height)",
                                "-e", "LANG=C.UTF-8", "PS1='palmtop-shell$ ' exec sh"])
        guard started.status == 0 else { throw EndToEndFailure("tmux could not start a session") }
        // tmux 3.3 leaves its socket file behind after kill-server.
        socket = try tmux(["display-message", "-p", "#{socket_path}"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try waitFor("the shell prompt", timeout: 10) { $0.contains("palmtop-shell$") }
    }

    func stop() {
        _ = try? tmux(["kill-server"])
        if !socket.isEmpty { unlink(socket) }
    }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", "e2e"]).output }

    /// Types `text` literally, then Enter.
    func type(_ text: String) throws {
        try tmux(["send-keys", "-t", "e2e", "-l", text])
        try tmux(["send-keys", "-t", "e2e", "Enter"])
    }

    /// Sends keys by tmux name ("F4", "Escape", "C-u") or literal text ("warm").
    func send(_ keys: String, literal: Bool = false) throws {
        try tmux(["send-keys", "-t", "e2e"] + (literal ? ["-l"] : []) + [keys])
    }

    /// Polls the pane until `condition` holds; fails with the last screen after `timeout` seconds.
    @discardableResult
    func waitFor(_ what: String, timeout: TimeInterval, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(200_000)
        }
        throw EndToEndFailure("timed out after \(Int(timeout)) s waiting for \(what); the screen was:\n\(last)")
    }

    /// Waits until the pane shows `text`.
    @discardableResult
    func waitFor(_ text: String, timeout: TimeInterval = 10) throws -> String {
        try waitFor("'\(text)'", timeout: timeout) { $0.contains(text) }
    }

    /// Waits for the shell prompt alone on the last line: the program has quit.
    func waitForShell() throws {
        _ = try waitFor("the shell after quitting", timeout: 10) { s in
            s.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.trimmingCharacters(in: .whitespaces) == "palmtop-shell$"
                && !s.contains("F1 help")
        }
    }
}

/// A failed step of an end-to-end run; XCTest reports the thrown error as the test's failure.
struct EndToEndFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
