import XCTest
import PalmtopTestSupport

/// The CLI against recordings (scripts/make_remote_recordings.py, replayed by
/// scripts/replay_server.py) of what no server on this machine can produce: vLLM's and
/// llama-cpp-python's prompt log-probabilities, SGLang's stream shape, error bodies and
/// misbehaving streams. Each failure is one line on stderr and exit 1.
final class RecordedServerTests: XCTestCase {
    static var server: ScriptServer!

    override class func setUp() {
        server = try? ScriptServer(script: "replay_server.py", timeout: 30)
    }

    override class func tearDown() { server?.stop() }

    func url(_ recording: String) throws -> String {
        try XCTUnwrap(Self.server, "the replay server did not start").url + "/" + recording
    }

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// vLLM's prompt_logprobs and llama-cpp-python's echo arrays give the same rank classification.
    func testScoringFromRecordedEchoResponses() throws {
        for recording in ["vllm-score", "llama-cpp-python-echo"] {
            let r = try CLIRun.run(["score", "--backend", try url(recording), "-p", "The capital of France is", "-c", " Paris", "-c", " Lyon", "--json"])
            XCTAssertEqual(r.status, 0, "\(recording): \(r.stderr)")
            let choices = json(r.stdout)["choices"] as? [[String: Any]] ?? []
            XCTAssertEqual(choices.map { $0["sum_logprob"] as? Double ?? 0 }.map { ($0 * 1000).rounded() / 1000 }, [-0.25, -4.5], recording)
            XCTAssertEqual(choices.map { $0["tokens"] as? Int ?? 0 }, [1, 2], recording)
            XCTAssertEqual(json(r.stdout)["best_by_sum"] as? String, " Paris")
        }
    }

    /// BIG-bench's multiple choice on a server that scores (recorded vLLM): each choice tokenized apart
    /// from the prompt by the server, the ids sent back concatenated (the recording checks every
    /// request), and only the choice's positions summed — the prompt's score -2 each in the recording.
    func testBigBenchMultipleChoiceOnARecordedVLLMServer() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-bb-vllm-\(getpid())")
        try? FileManager.default.removeItem(at: home)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try FileManager.default.createSymbolicLink(at: home.appendingPathComponent("bigbench"),
                                                   withDestinationURL: TestSupport.fixture("bigbench/store"))
        let r = try CLIRun.run(["eval", "bigbench:palmtop_test_choice", "--shots", "1", "--json", "--backend", try url("vllm-bigbench-choice")],
                               environment: ["PALMTOP_HOME": home.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map { json(String($0)) }
        XCTAssertEqual(lines.count, 3, r.stdout)
        guard lines.count == 3 else { return }
        let grass = "\nQ: The colour of grass\n  choice: green\n  choice: blue\nA: "
        let sky = "\nQ: The colour of the clear sky\n  choice: green\n  choice: blue\nA: "
        let expected: [(prompt: String, logprobs: [Double], prediction: String, targets: [String], score: Double)] = [
            (grass + "green\n" + sky, [-1.75, -0.75], "blue", ["blue"], 1),
            (sky + "blue\n" + grass, [-3.0, -0.75], "blue", ["green"], 0),
        ]
        for (item, e) in zip(lines, expected) {
            XCTAssertEqual(item["prompt"] as? String, e.prompt)
            XCTAssertEqual(item["choices"] as? [String], ["green", "blue"], "in the task file's order")
            XCTAssertEqual(item["logprobs"] as? [Double], e.logprobs, "the choice's positions only")
            XCTAssertEqual(item["prediction"] as? String, e.prediction)
            XCTAssertEqual(item["targets"] as? [String], e.targets)
            XCTAssertEqual(item["score"] as? Double, e.score)
        }
        let summary = lines[2]
        XCTAssertEqual(summary["task"] as? String, "palmtop_test_choice")
        XCTAssertEqual(summary["shots"] as? Int, 1)
        XCTAssertEqual(summary["items"] as? Int, 2)
        XCTAssertEqual(summary["metric"] as? String, "multiple_choice_grade")
        XCTAssertEqual(summary["score"] as? Double, 50)
        XCTAssertEqual(summary["chance"] as? Double, 50)
        XCTAssertTrue(summary["prompt_tokens_reused"] is NSNull, "a server does not say what its cache served")
    }

    /// SGLang's legacy-shaped chunks, with a comment and \r\n line endings: tokens, alternatives, text.
    func testStreamingTheLegacyLogprobShape() throws {
        let r = try CLIRun.run(["generate", "--backend", try url("sglang-stream"), "-p", "The capital of France is", "--format", "jsonl",
                                "--top-logprobs", "2", "--max-tokens", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map { json(String($0)) }
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines.prefix(3).map { $0["text"] as? String }, [" Paris", ".", "\n"])
        XCTAssertTrue(lines[0]["token"] is NSNull, "SGLang sends no token ids: null, not a made-up id")
        let top = lines[0]["top_logprobs"] as? [[String: Any]] ?? []
        XCTAssertEqual(top.map { $0["text"] as? String }, [" Paris", " the"])
        XCTAssertEqual(lines[3]["text"] as? String, " Paris.\n")
        XCTAssertEqual(lines[3]["prompt_tokens"] as? Int, 6)
        XCTAssertEqual(lines[3]["stop_reason"] as? String, "max_tokens")
    }

    /// The repetition penalty goes out under each server's own name: vLLM's `repetition_penalty`,
    /// llama.cpp's `repeat_penalty`, never the other one too (each recording expects its name at 1.5 and
    /// the other key absent, and answers 400 otherwise; a server ignores a key it does not know, so only
    /// a recording catches the wrong name). The vLLM exchange also checks the bearer token.
    func testTheRepetitionPenaltyGoesOutUnderEachServersName() throws {
        let key = "sk-palmtop-recorded-key"
        for recording in ["vllm-generate", "llamacpp-generate"] {
            let args = ["generate", "--backend", try url(recording), "--api-key", key, "-p", "The capital of France is",
                        "--max-tokens", "3", "--format", "jsonl"]
            let r = try CLIRun.run(args + ["--repeat-penalty", "1.5"])
            XCTAssertEqual(r.status, 0, "\(recording): \(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map { json(String($0)) }
            XCTAssertEqual(lines.last?["text"] as? String, " Paris.\n", "\(recording): \(r.stdout)")
            if recording == "vllm-generate" { XCTAssertEqual(lines.first?["token"] as? Int, 7042, "vLLM's return_token_ids") }
            // The same request at the default penalty is refused: the recording's check is live.
            let other = try CLIRun.run(args)
            XCTAssertEqual(other.status, 1, "\(recording): \(other.stderr)")
            XCTAssertTrue(other.stderr.contains("penalty is 1, expected 1.5"), "\(recording): \(other.stderr)")
        }
    }

    /// The key reaches the server: the recorded vLLM exchange answers only a request with its bearer
    /// token, from --api-key or OPENAI_API_KEY, and refuses one without (401, which says what to check).
    func testTheAPIKeyReachesTheServer() throws {
        let key = "sk-palmtop-recorded-key"
        let args = ["generate", "--backend", try url("vllm-generate"), "-p", "The capital of France is", "--repeat-penalty", "1.5",
                    "--max-tokens", "3", "--format", "jsonl"]
        let flag = try CLIRun.run(args + ["--api-key", key])
        XCTAssertEqual(flag.status, 0, flag.stderr)
        let env = try CLIRun.run(args, environment: ["OPENAI_API_KEY": key])
        XCTAssertEqual(env.status, 0, env.stderr)
        let none = try CLIRun.run(args, environment: ["OPENAI_API_KEY": ""])
        XCTAssertEqual(none.status, 1, none.stderr)
        XCTAssertTrue(none.stderr.contains("HTTP 401, check --api-key"), none.stderr)
        let wrong = try CLIRun.run(args + ["--api-key", "sk-wrong"])
        XCTAssertEqual(wrong.status, 1, wrong.stderr)
        XCTAssertFalse(wrong.stderr.contains("sk-wrong"), "the key is not printed, not even a wrong one: \(wrong.stderr)")
    }

    /// PALMTOP_BACKEND picks the server when --backend is not given (the recorded ids are not what any
    /// local tokenizer gives for the text), and `--backend local` overrides it.
    func testPALMTOP_BACKENDPicksTheServer() throws {
        let environment = ["PALMTOP_BACKEND": try url("vllm-score")]
        let remote = try CLIRun.run(["tokenize", "--json", "The capital of France is"], environment: environment)
        XCTAssertEqual(remote.status, 0, remote.stderr)
        XCTAssertEqual(remote.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[1,504,3575,282,4649,314]")
        let local = try CLIRun.run(["tokenize", "-m", "smollm2-135m-instruct", "--json", "The capital of France is", "--backend", "local"],
                                   environment: environment)
        let plain = try CLIRun.run(["tokenize", "-m", "smollm2-135m-instruct", "--json", "The capital of France is"])
        XCTAssertEqual(local.status, 0, local.stderr)
        XCTAssertEqual(local.stdout, plain.stdout)
        XCTAssertNotEqual(local.stdout, remote.stdout)
    }

    func testAnIdempotentRequestIsRetriedAfterA503() throws {
        let r = try CLIRun.run(["tokenize", "--backend", try url("retry-succeeds"), "--json", "x"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[1,2,3]")
    }

    /// A connection that closes before any answer (a server closing a pooled connection) is not the
    /// server failing: an idempotent request is sent again on a new one.
    func testARequestWhoseConnectionClosedIsSentAgain() throws {
        let r = try CLIRun.run(["tokenize", "--backend", try url("closes-then-answers"), "--json", "x"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[1,2,3]")
    }

    func testFailuresAreOneLine() throws {
        let cases: [(args: [String], recording: String, words: String)] = [
            (["models"], "unauthorized", "check --api-key"),
            (["generate", "-p", "x"], "missing-model", "does not exist"),
            (["tokenize", "x"], "rate-limited", "rate-limiting"),
            (["generate", "-p", "x"], "truncated-stream", "ended before [DONE]"),
            (["generate", "-p", "x"], "malformed-json", "malformed JSON"),
            (["generate", "-p", "x"], "dies-mid-stream", "closed the connection"),
            (["generate", "-p", "x", "--timeout", "2"], "never-answers", "sent nothing for 2 s"),
            (["generate", "-p", "x"], "always-closes", "closed the connection before answering"),
        ]
        for c in cases {
            let r = try CLIRun.run(c.args + ["--backend", try url(c.recording)])
            XCTAssertEqual(r.status, 1, "\(c.recording): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(c.recording): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(c.words), "\(c.recording): \(r.stderr)")
        }
        let refused = try CLIRun.run(["generate", "-p", "x", "--backend", "http://127.0.0.1:9"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("connection refused"), refused.stderr)
    }

    /// The key goes to the server and nowhere else: not in errors, not in output.
    func testTheAPIKeyIsNeverPrinted() throws {
        let secret = "sk-test-\(UUID().uuidString)"
        let r = try CLIRun.run(["models", "--backend", try url("unauthorized"), "--api-key", secret])
        XCTAssertFalse(r.stderr.contains(secret) || r.stdout.contains(secret), r.stderr)
        let env = try CLIRun.run(["models", "--backend", try url("unauthorized")], environment: ["OPENAI_API_KEY": secret])
        XCTAssertFalse(env.stderr.contains(secret) || env.stdout.contains(secret), env.stderr)
    }
}
