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

/// A plain SHA-256, for comparing dequantized tensors with the reference's digests.
public struct SHA256Digest {
    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
        0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
        0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
        0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
        0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
        0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]

    public init() {}

    public mutating func update(_ p: UnsafeRawBufferPointer) {
        length += UInt64(p.count)
        var i = 0
        if !buffer.isEmpty {
            while i < p.count && buffer.count < 64 { buffer.append(p[i]); i += 1 }
            if buffer.count == 64 { buffer.withUnsafeBytes { block($0.baseAddress!) }; buffer.removeAll() }
        }
        while i + 64 <= p.count { block(p.baseAddress! + i); i += 64 }
        while i < p.count { buffer.append(p[i]); i += 1 }
    }

    private mutating func block(_ p: UnsafeRawPointer) {
        var w = [UInt32](repeating: 0, count: 64)
        for t in 0..<16 { w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self)) }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for t in 16..<64 {
            let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
            let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for t in 0..<64 {
            let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ Self.k[t] &+ w[t]
            let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
    }

    public mutating func hex() -> String {
        let bits = length * 8
        var pad: [UInt8] = [0x80]
        while (Int(length) + pad.count) % 64 != 56 { pad.append(0) }
        for i in (0..<8).reversed() { pad.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
        let saved = length
        pad.withUnsafeBytes { update($0) }
        length = saved
        return h.map { String(format: "%08x", $0) }.joined()
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
