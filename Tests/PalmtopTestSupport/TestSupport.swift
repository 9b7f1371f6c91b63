import Foundation
import PalmtopEngine

/// Paths and shared loaders for tests. Models come from the model store (`make test` pulls them);
/// generated inputs from `.build/test-data` (`make test-data`).
public enum TestSupport {
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    public static func fixture(_ relative: String) -> URL { packageRoot.appendingPathComponent("Tests/Fixtures/\(relative)") }

    public static var testData: URL {
        ProcessInfo.processInfo.environment["PALMTOP_TEST_DATA"].map { URL(fileURLWithPath: $0) }
            ?? packageRoot.appendingPathComponent(".build/test-data")
    }

    public static let defaultModels = ["gemma-3-270m", "smollm2-135m-instruct"]

    public static func modelPath(_ name: String) -> String { ModelStore().path(for: name).path }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var models: [String: Model] = [:]

    /// Loads each model once per test process (loading takes a fraction of a second, but tests add up).
    public static func model(_ nameOrPath: String) throws -> Model {
        lock.lock()
        defer { lock.unlock() }
        if let m = models[nameOrPath] { return m }
        let path = nameOrPath.hasSuffix(".gguf") ? nameOrPath : modelPath(nameOrPath)
        let m = try Model(path: path)
        models[nameOrPath] = m
        return m
    }

    public static func jsonLines(_ url: URL) throws -> [[String: Any]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    public static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }
}

/// Runs the release `palmtop` binary and captures its output.
public struct CLIRun {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// `PALMTOP_BIN` overrides the binary (default `.build/release/palmtop` in the package).
    public static var binary: String {
        ProcessInfo.processInfo.environment["PALMTOP_BIN"] ?? TestSupport.packageRoot.appendingPathComponent(".build/release/palmtop").path
    }

    /// Runs the binary to completion. With `interruptAfterLines`, SIGINT is sent once that many lines
    /// of output have arrived (so the signal lands mid-generation however slow the machine is).
    /// `environment` is added to this process's environment for the run.
    public static func run(_ args: [String], stdin: String? = nil, interruptAfterLines: Int? = nil,
                           environment: [String: String] = [:]) throws -> CLIRun {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        // stderr goes to a file so only one pipe needs draining while the child runs.
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let out = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        var outData = Data()
        var interrupted = false
        while true {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            outData += chunk
            if let lines = interruptAfterLines, !interrupted, outData.filter({ $0 == 0x0A }).count >= lines {
                kill(p.processIdentifier, SIGINT)
                interrupted = true
            }
        }
        p.waitUntilExit()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return CLIRun(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A server script (scripts/test_server.py: llama.cpp's server from the xllamacpp wheel;
/// scripts/replay_server.py: recorded exchanges) on a free loopback port for the length of a test.
/// The script serves until its stdin closes; `kill()` stops it at once, as a crashed server would.
public final class ScriptServer {
    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    private let process = Process()
    private let input = Pipe()

    /// Starts `script` (a path under scripts/) with `arguments` then the port, and waits for its
    /// "ready PORT" line.
    public init(script: String, arguments: [String] = [], timeout: TimeInterval = 120) throws {
        port = ScriptServer.freePort()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestSupport.packageRoot.appendingPathComponent("scripts/\(script)").path] + arguments + ["\(port)"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let ready = DispatchSemaphore(value: 0)
        let reader = output.fileHandleForReading
        Thread {
            var seen = Data()
            while case let chunk = reader.availableData, !chunk.isEmpty {
                seen += chunk
                if String(decoding: seen, as: UTF8.self).contains("ready") { ready.signal(); return }
            }
        }.start()
        guard ready.wait(timeout: .now() + timeout) == .success else {
            kill()
            throw ScriptServerError("\(script) did not start within \(Int(timeout)) s")
        }
    }

    deinit { stop() }

    /// Closes the script's stdin and waits for it to exit.
    public func stop() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill() }
    }

    /// SIGKILL: the server dies mid-whatever.
    public func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// A port the kernel just handed out (bound to 0 and released), so parallel runs do not collide.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// A test server that did not start, with the reason.
public struct ScriptServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
