import XCTest
import PalmtopTestSupport

/// The scriptable CLI as a user runs it: JSON shapes, exit codes and one-line errors.
final class CLITests: XCTestCase {
    func testGenerateJSONLines() throws {
        let r = try CLIRun.run(["generate", "-m", "gemma-3-270m", "-p", "The capital of France is", "--temperature", "0",
                                "--max-tokens", "6", "--format", "jsonl", "--top-logprobs", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertGreaterThanOrEqual(lines.count, 2)
        let first = lines[0]
        XCTAssertNotNil(first["token"] as? Int)
        XCTAssertNotNil(first["logprob"] as? Double)
        XCTAssertEqual((first["top_logprobs"] as? [[String: Any]])?.count, 3)
        let done = lines.last!
        XCTAssertEqual(done["done"] as? Bool, true)
        XCTAssertEqual(done["stop_reason"] as? String, "max_tokens")
        XCTAssertEqual(done["generated_tokens"] as? Int, 6)
        XCTAssertNotNil(done["decode_tokens_per_s"] as? Double)
    }

    func testEchoGivesPromptLogprobsAndPromptLibRenders() throws {
        let echo = try CLIRun.run(["generate", "-m", "smollm2-135m-instruct", "-p", "One two three", "--temperature", "0",
                                   "--max-tokens", "2", "--format", "jsonl", "--echo"])
        XCTAssertEqual(echo.status, 0, echo.stderr)
        let lines = echo.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let prompt = lines.filter { $0["prompt"] as? Bool == true }
        XCTAssertEqual(prompt.count, 3)
        XCTAssertTrue(prompt[0]["logprob"] is NSNull, "the first token has no prefix")
        XCTAssertNotNil(prompt[1]["logprob"] as? Double)
        let lib = try CLIRun.run(["generate", "--prompt-lib", "country-capital", "--input", "France", "--max-tokens", "4"])
        XCTAssertEqual(lib.status, 0, lib.stderr)
        XCTAssertTrue(lib.stdout.contains("Paris"), lib.stdout)
    }

    /// Drafting is refused for a server before connecting; a greedy reply reports its drafting counts,
    /// and `--draft none` none.
    func testDraftIsRefusedOnAServerAndReportedInJSONLines() throws {
        let refused = try CLIRun.run(["generate", "--backend", "http://127.0.0.1:9", "--draft", "prompt-lookup", "-p", "Hi"])
        XCTAssertEqual(refused.status, 1, "one line and exit 1, as every refusal after parsing")
        XCTAssertTrue(refused.stderr.contains("--draft prompt-lookup runs in-process only"), refused.stderr)
        func done(_ draft: String) throws -> [String: Any] {
            let r = try CLIRun.run(["generate", "-m", "smollm2-135m-instruct", "-p", "one two three four one two three four one two",
                                    "--temperature", "0", "--max-tokens", "12", "--format", "jsonl", "--draft", draft])
            XCTAssertEqual(r.status, 0, r.stderr)
            return try JSONSerialization.jsonObject(with: Data(r.stdout.split(separator: "\n").last!.utf8)) as! [String: Any]
        }
        let drafted = try done("prompt-lookup")["draft"] as? [String: Any]
        XCTAssertNotNil(drafted?["acceptance_rate"] as? Double)
        XCTAssertNil(try done("none")["draft"])
    }

    func testScoreJSONRanksChoices() throws {
        let r = try CLIRun.run(["score", "-m", "gemma-3-270m", "-p", "The capital of France is", "-c", " Paris", "-c", " a banana", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(o["best_by_sum"] as? String, " Paris")
        XCTAssertEqual((o["choices"] as? [[String: Any]])?.count, 2)
    }

    func testTokenizeJSONAndStdin() throws {
        let r = try CLIRun.run(["tokenize", "-m", "gemma-3-270m", "--json", "Hello"])
        XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[2,9259]")
        let piped = try CLIRun.run(["tokenize", "-m", "smollm2-135m-instruct"], stdin: "Hi there")
        XCTAssertEqual(piped.status, 0)
        XCTAssertEqual(piped.stdout.split(separator: "\n").count, 2)
    }

    func testModelsJSONListsBothDefaults() throws {
        let r = try CLIRun.run(["models", "--json"])
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let names = (o["models"] as! [[String: Any]]).compactMap { $0["name"] as? String }
        XCTAssertTrue(names.contains("gemma-3-270m") && names.contains("smollm2-135m-instruct"), "\(names)")
    }

    func testEvalSummaryJSON() throws {
        let r = try CLIRun.run(["eval", "sentiment", "--limit", "4", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.split(separator: "\n").last!.utf8)) as! [String: Any]
        XCTAssertEqual(summary["total"] as? Int, 4)
        XCTAssertEqual(summary["method"] as? String, "rank-choices")
        XCTAssertNotNil(summary["accuracy"] as? Double)
        XCTAssertGreaterThan(summary["prompt_tokens_reused"] as? Int ?? 0, 0)
    }

    /// `palmtop bench --json` carries the fields scripts read (a tiny run: the figures are not checked,
    /// only that each was measured).
    func testBenchJSONHasTheDocumentedFields() throws {
        let r = try CLIRun.run(["bench", "-m", "smollm2-135m-instruct", "--prompt-tokens", "40", "--gen-tokens", "4",
                                "--depth", "20", "--repetitions", "2", "--threads", "1", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(o["model"] as? String, "smollm2-135m-instruct")
        XCTAssertEqual(o["threads"] as? Int, 1)
        XCTAssertEqual(o["repetitions"] as? Int, 2)
        XCTAssertEqual(o["depth"] as? Int, 20)
        // The edited tail of the prompt is recomputed; the depth tokens before it are reused.
        XCTAssertGreaterThanOrEqual(o["prefix_reused"] as? Int ?? 0, 20 + 40 * 95 / 100)
        for key in ["prefill_tokens_per_s", "decode_tokens_per_s", "load_seconds"] {
            XCTAssertGreaterThan(o[key] as? Double ?? 0, 0, key)
        }
        for key in ["prefill_stddev", "decode_stddev"] { XCTAssertGreaterThanOrEqual(o[key] as? Double ?? -1, 0, key) }
        XCTAssertGreaterThan(o["rss_bytes"] as? Int ?? 0, 100_000_000, "the weights are resident")
        XCTAssertTrue(["avx512bf16", "avx2", "neonbf16", "neon", "portable"].contains(o["kernels"] as? String ?? ""), "\(o["kernels"] ?? "none")")
    }

    /// Every machine can force the portable path (the flag and the environment); the JSON names it.
    func testKernelPathsCanBeForced() throws {
        for (args, env) in [(["--kernels", "portable"], [String: String]()), ([], ["PALMTOP_KERNELS": "portable"])] {
            let r = try CLIRun.run(["bench", "-m", "smollm2-135m-instruct", "-p", "8", "-n", "2", "-r", "1", "--json"] + args, environment: env)
            XCTAssertEqual(r.status, 0, r.stderr)
            let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(o["kernels"] as? String, "portable")
            XCTAssertEqual(o["products"] as? String, "f32", "only AVX512-BF16 has bf16 products")
        }
        // The AVX512-BF16 path's two forms of products, forced either way where the CPU has it.
        let best = try CLIRun.run(["bench", "-m", "smollm2-135m-instruct", "-p", "8", "-n", "2", "-r", "1", "--json"])
        let bestKernels = (try JSONSerialization.jsonObject(with: Data(best.stdout.utf8)) as? [String: Any])?["kernels"] as? String
        if bestKernels == "avx512bf16" {
            for (setting, products) in [("on", "bf16"), ("off", "f32")] {
                let r = try CLIRun.run(["bench", "-m", "smollm2-135m-instruct", "-p", "8", "-n", "2", "-r", "1", "--json"],
                                       environment: ["PALMTOP_BF16_DOT": setting])
                XCTAssertEqual(r.status, 0, r.stderr)
                let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
                XCTAssertEqual(o["products"] as? String, products, "PALMTOP_BF16_DOT=\(setting)")
            }
        }
        let bad = try CLIRun.run(["tokenize", "-m", "smollm2-135m-instruct", "x"], environment: ["PALMTOP_BF16_DOT": "yes"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("PALMTOP_BF16_DOT"), bad.stderr)
    }

    /// Every shipped prompt runs through `palmtop eval` (two items each, to keep CI fast).
    func testEveryShippedPromptRunsThroughEval() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: TestSupport.packageRoot.appendingPathComponent("prompts").path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 10)
        for name in names {
            let r = try CLIRun.run(["eval", name, "--limit", "2", "--json"])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            let lines = r.stdout.split(separator: "\n")
            XCTAssertEqual(lines.count, 3, "\(name): two items and a summary")
            let summary = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as! [String: Any]
            XCTAssertEqual(summary["total"] as? Int, 2, name)
            XCTAssertEqual(summary["prompt"] as? String, name)
        }
    }

    /// Bad input: one line on stderr, a non-zero exit, never a crash. Mistakes in the command line
    /// (exit 64) may add ArgumentParser's usage lines; failures while running (exit 1) are one line.
    func testBadInputGivesOneLineErrors() throws {
        let usage: Int32 = 64, failure: Int32 = 1
        let cases: [([String], String, Int32)] = [
            (["generate", "-m", "gemma-3-270m", "-p", ""], "empty", failure),
            (["generate", "-m", "gemma-3-270m", "-p", "x", "--top-p", "1.5"], "top_p", usage),
            (["generate", "-m", "gemma-3-270m", "-p", "x", "--top-k=-3"], "top_k", usage),
            (["generate", "-m", "gemma-3-270m", "-p", String(repeating: "word ", count: 100), "--ctx", "32"], "context", failure),
            (["generate", "-m", "no-such-model", "-p", "x"], "unknown model", failure),
            (["generate", "-m", TestSupport.testData.appendingPathComponent("bad/tensor_past_end.gguf").path, "-p", "x"], "past the end", failure),
            (["generate", "-m", TestSupport.testData.appendingPathComponent("bad").path, "-p", "x"], "directory", failure),
            (["generate", "-m", TestSupport.testData.appendingPathComponent("bad/unsupported_arch.gguf").path, "-p", "x"],
             "unsupported architecture", failure),
            (["eval", "no-such-prompt"], "no such prompt in the library", failure),
            (["bench", "-m", "smollm2-135m-instruct", "--prompt-tokens", "0"], "prompt-tokens", usage),
            (["generate", "-m", "smollm2-135m-instruct", "-p", "x", "--kernels", "sse9"], "unknown kernel path", failure),
        ]
        for (args, words, status) in cases {
            let r = try CLIRun.run(args)
            XCTAssertEqual(r.status, status, "\(args): \(r.stderr)")
            var lines = r.stderr.split(separator: "\n").filter { !$0.isEmpty }
            if status == usage { lines.removeAll { $0.hasPrefix("Usage") || $0.hasPrefix("  See") } }
            XCTAssertEqual(lines.count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.localizedCaseInsensitiveContains(words), "\(args): \(r.stderr)")
        }
    }

    /// Help is not an error: printed on stdout with exit 0, for the root command and a subcommand.
    func testHelpExitsCleanly() throws {
        for args in [["--help"], ["generate", "--help"], ["help", "bench"]] {
            let r = try CLIRun.run(args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stdout.hasPrefix("OVERVIEW:"), "\(args): \(r.stdout.prefix(80))")
        }
    }

    func testInvalidUTF8PromptFileIsRejected() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("palmtop-bad-\(getpid()).txt").path
        _ = FileManager.default.createFile(atPath: path, contents: Data([0x48, 0xFF, 0xFE, 0x69]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLIRun.run(["generate", "-m", "gemma-3-270m", "--prompt-file", path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("UTF-8"), r.stderr)
    }

    func testCtrlCStopsGenerationCleanly() throws {
        let r = try CLIRun.run(["generate", "-m", "gemma-3-270m", "-p", "Once upon a time", "--max-tokens", "100000",
                                "--ctx", "4096", "--format", "jsonl"], interruptAfterLines: 5)
        XCTAssertEqual(r.status, 130, r.stderr)
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.contains("\"stop_reason\":\"cancelled\""), last)
    }
}
