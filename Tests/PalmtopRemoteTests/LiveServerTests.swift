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

    /// A sequential eval sends each request after the last one ended, on the connection pool (this
    /// server closes the connection after every stream, while its headers promise keep-alive); run
    /// concurrently at the default parallelism, every item gets the same greedy reply.
    func testSequentialAndConcurrentEvalGiveTheSameReplies() throws {
        let one = try CLIRun.run(["eval", "antonyms", "--backend", try url(), "--parallel", "1", "--json"])
        let many = try CLIRun.run(["eval", "antonyms", "--backend", try url(), "--json"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(many.status, 0, many.stderr)
        let items = { (r: CLIRun) in r.stdout.split(separator: "\n").map(self.json).dropLast().map { $0["generated"] as? String } }
        XCTAssertGreaterThan(items(one).count, 8, "more items than the default parallelism, so lanes take a second request too")
        XCTAssertEqual(items(many), items(one))
        XCTAssertEqual(json(one.stdout.split(separator: "\n").last ?? "")["parallel"] as? Int, 1)
    }

    /// BIG-bench over the server, on the small tasks written for the tests (Tests/Fixtures/bigbench/store):
    /// a generative task runs; a multiple-choice one stops before its first query with the line
    /// `score` gives, since this server cannot return prompt log-probabilities.
    func testBigBenchGenerativeTasksRunOnTheServerAndMultipleChoiceSaysWhyNot() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-bb-remote-\(getpid())")
        try? FileManager.default.removeItem(at: home)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try FileManager.default.createSymbolicLink(at: home.appendingPathComponent("bigbench"),
                                                   withDestinationURL: TestSupport.fixture("bigbench/store"))
        let environment = ["PALMTOP_HOME": home.path]
        let r = try CLIRun.run(["eval", "bigbench:palmtop_test_opposites", "--shots", "2", "--limit", "3", "--backend", try url(), "--json"],
                               environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(json)
        XCTAssertEqual(lines.count, 4, r.stdout)
        for item in lines.dropLast() {
            XCTAssertEqual((item["prompt"] as? String)?.components(separatedBy: "\nA: ").count, 4, "two shots and the query")
            let output = item["output"] as? [String: Any]
            let raw = try XCTUnwrap(output?["raw"] as? String, "\(item)")
            // The task sets neither output_regex nor stop_string, so BIG-bench's default regex applies to
            // the reply cut to 256 characters: its first run without . ? ! ; or a newline. That text is
            // the prediction, and exact_str_match scores it against the targets as it is.
            let kept = String(String.UnicodeScalarView(raw.unicodeScalars.prefix(256)))
            let expected = kept.range(of: #"[^.?!;\n]+"#, options: .regularExpression).map { String(kept[$0]) } ?? ""
            let postprocessed = try XCTUnwrap(output?["postprocessed"] as? String, "\(item)")
            XCTAssertEqual(postprocessed, expected, "raw \(raw.debugDescription)")
            XCTAssertEqual(item["prediction"] as? String, postprocessed)
            XCTAssertEqual(item["score"] as? Double, (item["targets"] as? [String] ?? []).contains(postprocessed) ? 1 : 0, "\(item)")
        }
        let summary = lines.last ?? [:]
        XCTAssertEqual(summary["items"] as? Int, 3)
        XCTAssertEqual(summary["metric"] as? String, "exact_str_match")
        XCTAssertTrue(summary["prompt_tokens_reused"] is NSNull, "a server does not say what its cache served")
        let choice = try CLIRun.run(["eval", "bigbench:palmtop_test_choice", "--backend", try url(), "--json"], environment: environment)
        XCTAssertEqual(choice.status, 1, choice.stderr)
        XCTAssertEqual(choice.stdout, "", "no query ran")
        XCTAssertEqual(choice.stderr.split(separator: "\n").count, 1, choice.stderr)
        XCTAssertTrue(choice.stderr.contains("refuses echo"), choice.stderr)
    }

    /// `bench --backend`: prefill and decode through the server in local bench's JSON shape, null for
    /// what only the in-process engine can measure. Figures are not checked (a shared machine), only
    /// that they are there.
    func testBenchThroughTheServer() throws {
        let r = try CLIRun.run(["bench", "--backend", try url(), "-r", "1", "-p", "32", "-n", "8", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = json(Substring(r.stdout))
        XCTAssertEqual(o["prompt_tokens"] as? Int, 32)
        XCTAssertEqual(o["repetitions"] as? Int, 1)
        for key in ["prefill_tokens_per_s", "decode_tokens_per_s", "time_to_first_token_s"] {
            XCTAssertGreaterThan(o[key] as? Double ?? 0, 0, "\(key): \(r.stdout)")
        }
        for key in ["load_seconds", "decode_gb_s", "prefix_reused", "rss_bytes"] { XCTAssertTrue(o[key] is NSNull, "\(key): \(r.stdout)") }
        let table = try CLIRun.run(["bench", "--backend", try url(), "-r", "1", "-p", "16", "-n", "4"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("tg4 ") && table.stdout.contains("n/a"), table.stdout)
        let depth = try CLIRun.run(["bench", "--backend", try url(), "--depth", "8"])
        XCTAssertEqual(depth.status, 1)
        XCTAssertEqual(depth.stderr.split(separator: "\n").count, 1, depth.stderr)
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
