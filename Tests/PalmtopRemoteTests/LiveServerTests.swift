import XCTest
import PalmtopTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Every command against a real llama.cpp server (llama-server's code, from the xllamacpp wheel)
/// serving the SmolLM2 GGUF on loopback.
final class LiveServerTests: XCTestCase {
    static var server: ScriptServer?

    override class func setUp() {
        server = try? ScriptServer(script: "test_server.py", arguments: [TestSupport.modelPath("smollm2-135m-instruct")])
    }

    override class func tearDown() { server?.stop() }

    func url() throws -> String { try XCTUnwrap(Self.server, "the llama.cpp test server did not start (pip install xllamacpp)").url }

    func json(_ text: Substring) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// The server's own answer to a request, without Palmtop.
    func direct(_ path: String, _ body: [String: Any]) throws -> [String: Any] {
        var request = URLRequest(url: URL(string: try url() + path)!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Data?
        URLSession.shared.dataTask(with: request) { data, _, _ in result = data; done.signal() }.resume()
        XCTAssertEqual(done.wait(timeout: .now() + 120), .success)
        return (try? JSONSerialization.jsonObject(with: result ?? Data())) as? [String: Any] ?? [:]
    }

    /// A greedy reply through Palmtop is the server's own reply to the same request, token for
    /// token, with the same top log-probabilities.
    func testAGreedyReplyIsTheServersOwn() throws {
        let prompt = "The three primary colours are"
        let r = try CLIRun.run(["generate", "--backend", try url(), "-p", prompt, "--temperature", "0", "--max-tokens", "16",
                                "--format", "jsonl", "--top-logprobs", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let events = r.stdout.split(separator: "\n").map(json).filter { $0["done"] == nil }
        let own = try direct("/v1/completions", ["prompt": prompt, "max_tokens": 16, "temperature": 0, "logprobs": 3])
        let choice = (own["choices"] as? [[String: Any]])?.first ?? [:]
        let content = (choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]] ?? []
        XCTAssertEqual(events.count, content.count)
        XCTAssertEqual(events.map { $0["token"] as? Int }, content.map { $0["id"] as? Int })
        for (mine, theirs) in zip(events, content) {
            XCTAssertEqual(mine["logprob"] as? Double ?? 0, theirs["logprob"] as? Double ?? 1, accuracy: 1e-4)
            let a = (mine["top_logprobs"] as? [[String: Any]] ?? []).map { ($0["token"] as? Int, $0["logprob"] as? Double ?? 0) }
            let b = (theirs["top_logprobs"] as? [[String: Any]] ?? []).map { ($0["id"] as? Int, $0["logprob"] as? Double ?? 1) }
            XCTAssertEqual(a.map(\.0), b.map(\.0))
            for (x, y) in zip(a, b) { XCTAssertEqual(x.1, y.1, accuracy: 1e-4) }
        }
        XCTAssertEqual(events.map { $0["text"] as? String ?? "" }.joined(), choice["text"] as? String)
    }

    /// `generate --n` over a server sends its requests at once; each reply is the one the same request
    /// gets alone.
    func testBatchedRequestsGiveEachRequestsOwnReply() throws {
        let many = try CLIRun.run(["generate", "--backend", try url(), "-p", "Name a colour:", "--temperature", "0", "--seed", "5",
                                   "--max-tokens", "6", "--n", "3", "--format", "jsonl"])
        XCTAssertEqual(many.status, 0, many.stderr)
        let samples = many.stdout.split(separator: "\n").map(json)
        XCTAssertEqual(samples.map { $0["sample"] as? Int }, [0, 1, 2])
        for sample in samples {
            let seed = try XCTUnwrap(sample["seed"] as? Int)
            let alone = try CLIRun.run(["generate", "--backend", try url(), "-p", "Name a colour:", "--temperature", "0", "--seed", "\(seed)",
                                        "--max-tokens", "6", "--format", "jsonl"])
            let done = alone.stdout.split(separator: "\n").map(json).last ?? [:]
            XCTAssertEqual(sample["text"] as? String, done["text"] as? String, "seed \(seed)")
        }
    }

    func testEveryCommandWorksWithTheBackend() throws {
        let backend = try url()
        let models = try CLIRun.run(["models", "--backend", backend, "--json"])
        XCTAssertEqual(models.status, 0, models.stderr)
        let names = (json(Substring(models.stdout))["models"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertEqual(names.count, 1)
        // The server tokenizes as the in-process tokenizer does (the same vocabulary).
        let remote = try CLIRun.run(["tokenize", "--backend", backend, "--json", "Hello, world"])
        let local = try CLIRun.run(["tokenize", "-m", "smollm2-135m-instruct", "--json", "Hello, world"])
        XCTAssertEqual(remote.stdout, local.stdout, remote.stderr)
        // --model picks the server's model by its id; chat mode goes through the server's template.
        let chat = try CLIRun.run(["generate", "--backend", backend, "-m", names[0], "--prompt-lib", "chat-persona", "--input", "Hello!",
                                   "--max-tokens", "8", "--format", "jsonl"])
        XCTAssertEqual(chat.status, 0, chat.stderr)
        let done = json(chat.stdout.split(separator: "\n").last ?? "")
        XCTAssertGreaterThanOrEqual(done["generated_tokens"] as? Int ?? 0, 1, chat.stdout)
        XCTAssertGreaterThan(done["prompt_tokens"] as? Int ?? 0, 50, "the persona's turns went through the server's template")
        let eval = try CLIRun.run(["eval", "antonyms", "--backend", backend, "--limit", "2", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertEqual(json(eval.stdout.split(separator: "\n").last ?? "")["total"] as? Int, 2)
        // What this server cannot do is one line naming the limitation.
        for args in [["score", "-p", "The sky is", "-c", " blue"], ["eval", "sentiment", "--limit", "1"]] {
            let r = try CLIRun.run(args + ["--backend", backend])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("refuses echo"), r.stderr)
        }
        let unknown = try CLIRun.run(["generate", "--backend", backend, "-m", "no-such-model", "-p", "x"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("has no model 'no-such-model'"), unknown.stderr)
    }

    /// A server killed in the middle of a reply: one line, exit 1, not a hang.
    func testAServerThatDiesMidReplyIsOneLine() throws {
        let own = try ScriptServer(script: "test_server.py", arguments: [TestSupport.modelPath("smollm2-135m-instruct")])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIRun.binary)
        p.arguments = ["generate", "--backend", own.url, "-p", "Write a long story about the sea.", "--max-tokens", "2000",
                       "--temperature", "0.8", "--format", "jsonl"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // The first token has arrived: the stream is open.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        own.kill()
        let drain = Thread { _ = out.fileHandleForReading.readDataToEndOfFile() }
        drain.start()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertFalse(p.isRunning, "the CLI gave up on a dead server")
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 1, message)
        XCTAssertEqual(message.split(separator: "\n").count, 1, message)
    }
}
