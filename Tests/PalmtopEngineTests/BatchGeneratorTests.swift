import XCTest
import PalmtopEngine
import PalmtopSampling
import PalmtopTestSupport

/// Batched decoding gives each sequence the reply it gets on its own: sequences of different lengths
/// joining and leaving, a shared prompt prefix copied instead of computed, and one sequence reaching
/// the context limit while the others go on.
final class BatchGeneratorTests: XCTestCase {
    /// Tokens and raw log-probabilities of a greedy reply from a session (one sequence, one-token passes).
    private func alone(_ model: Model, _ job: BatchJob, contextLimit: Int) throws -> (tokens: [Int], logprobs: [Float], summary: GenerationSummary) {
        var tokens: [Int] = [], logprobs: [Float] = []
        let session = Session(model: model, contextLimit: contextLimit)
        let summary = try session.generate(prompt: job.prompt, settings: job.settings, topN: 1) { e in
            tokens.append(e.id)
            logprobs.append(e.logprob)
            return true
        }
        return (tokens, logprobs, summary)
    }

    private func batched(_ model: Model, _ jobs: [BatchJob], parallel: Int, contextLimit: Int) throws
        -> (tokens: [[Int]], logprobs: [[Float]], summaries: [GenerationSummary]) {
        var tokens = [[Int]](repeating: [], count: jobs.count), logprobs = [[Float]](repeating: [], count: jobs.count)
        let summaries = try BatchGenerator(model: model, contextLimit: contextLimit).run(jobs, parallel: parallel) { j, e in
            tokens[j].append(e.id)
            logprobs[j].append(e.logprob)
            return true
        }
        return (tokens, logprobs, summaries)
    }

    private func greedy(_ maxTokens: Int) -> SamplingSettings {
        var s = SamplingSettings.greedy
        s.maxTokens = maxTokens
        return s
    }

    func testBatchedGreedyEqualsUnbatchedWithSequencesJoiningAndLeaving() throws {
        for name in ["smollm2-135m-instruct", "gemma-3-270m"] {
            let model = try TestSupport.model(name)
            // Five prompts of different lengths and reply limits through three slots: the short replies
            // leave early and the waiting prompts join mid-batch.
            let texts = ["The capital of France is", "def fibonacci(n):\n    ", "Once upon a time, in a small village by the sea, there lived",
                         "1, 2, 3, 4,", "The three primary colours are"]
            let limits = [6, 20, 14, 3, 10]
            let jobs = zip(texts, limits).map { BatchJob(prompt: model.encode($0), settings: greedy($1)) }
            let together = try batched(model, jobs, parallel: 3, contextLimit: 256)
            for (j, job) in jobs.enumerated() {
                let single = try alone(model, job, contextLimit: 256)
                XCTAssertEqual(together.tokens[j], single.tokens, "\(name), job \(j): batched greedy differs from a session's")
                XCTAssertEqual(together.summaries[j].text, single.summary.text)
                XCTAssertEqual(together.summaries[j].stopReason, single.summary.stopReason)
                for (a, b) in zip(together.logprobs[j], single.logprobs) { XCTAssertEqual(a, b, accuracy: 2e-3, "\(name), job \(j)") }
            }
        }
    }

    func testASharedPrefixGivesTheSameLogitsAsPrivateCaches() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let instruction = "Answer with the opposite word.\n\nhot: cold\nup: down\nbig: small\nfast: slow\nlight: dark\nwet: dry\n"
        let queries = ["open:", "happy:", "early:", "loud:"]
        let jobs = queries.map { BatchJob(prompt: model.encode(instruction + $0), settings: greedy(4)) }
        // Exact prompt passes: a fast pass's bf16 rounding depends on how a prompt is split into passes
        // (a whole prompt attends with bf16 products, a short suffix in f32), copying or not.
        let generator = BatchGenerator(model: model, contextLimit: 256, prefill: .exact)
        var shared = [[Float]](repeating: [], count: jobs.count)
        let summaries = try generator.run(jobs, parallel: 2) { j, e in shared[j].append(e.logprob); return true }
        XCTAssertGreaterThan(summaries.map(\.reusedTokens).min()!, 30, "every job copies the instruction and exemplars")
        for (j, job) in jobs.enumerated() {
            // One job alone shares nothing: its whole prompt is computed in its own cache.
            var own: [Float] = []
            let summary = try BatchGenerator(model: model, contextLimit: 256, prefill: .exact).run([job], parallel: 1) { _, e in
                own.append(e.logprob)
                return true
            }
            XCTAssertEqual(summary[0].reusedTokens, 0)
            XCTAssertEqual(summary[0].text, summaries[j].text)
            for (a, b) in zip(shared[j], own) { XCTAssertEqual(a, b, accuracy: 1e-4, "job \(j)") }
        }
    }

    func testJoiningPromptsRunTogetherWithTheNumbersOfRunningAlone() throws {
        for name in ["smollm2-135m-instruct", "gemma-3-270m"] {
            let model = try TestSupport.model(name)
            let prefix = model.encode("Answer with the opposite word.\n\nhot: cold\nup: down\nbig: small\nfast: slow\n")
            let words = model.encode(" light dark wet dry open shut early late loud quiet happy sad full empty near far"
                                     + " rich poor young old strong weak thick thin sharp dull hard soft sweet sour high low")
            // Remainders after the shared prefix on either side of every path's threshold for running
            // together (1, 2 and 6 tokens on the fast paths, 9 exact), and one of many tokens.
            let remainders = [1, 2, 5, 6, 9, 20, 40]
            let jobs = remainders.map { BatchJob(prompt: prefix + words.prefix($0), settings: greedy(5)) }
            for precision in PrefillPrecision.allCases {
                func run(_ parallel: Int) throws -> (logprobs: [[Float]], texts: [String], passes: Int) {
                    let generator = BatchGenerator(model: model, contextLimit: 256, prefill: precision)
                    var logprobs = [[Float]](repeating: [], count: jobs.count)
                    let summaries = try generator.run(jobs, parallel: parallel) { j, e in logprobs[j].append(e.logprob); return true }
                    return (logprobs, summaries.map(\.text), generator.promptPasses)
                }
                let one = try run(1), all = try run(jobs.count)
                XCTAssertEqual(all.texts, one.texts, "\(name), \(precision)")
                XCTAssertEqual(all.logprobs, one.logprobs, "\(name), \(precision): bit for bit, as one job at a time")
                XCTAssertLessThan(all.passes, one.passes, "\(name), \(precision): the joining prompts shared passes")
            }
        }
    }

    func testASequenceAtTheContextLimitStopsAndTheOthersGoOn() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let limit = 48
        let long = BatchJob(prompt: Array(model.encode(String(repeating: "one two three four ", count: 20)).prefix(44)), settings: greedy(30))
        let short = BatchJob(prompt: model.encode("Count: 1, 2, 3,"), settings: greedy(12))
        let result = try batched(model, [long, short], parallel: 2, contextLimit: limit)
        XCTAssertEqual(result.summaries[0].stopReason, .contextFull)
        XCTAssertEqual(result.summaries[0].generatedTokens, limit - 44)
        XCTAssertNotEqual(result.summaries[1].stopReason, .contextFull)
        XCTAssertEqual(result.tokens[1], try alone(model, short, contextLimit: limit).tokens, "the other sequence goes on unchanged")
    }

    func testSampledRepliesFollowTheirOwnSeeds() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        var settings = SamplingSettings()
        settings.temperature = 0.9
        settings.maxTokens = 8
        let jobs = (0..<4).map { i -> BatchJob in
            var s = settings
            s.seed = UInt64(100 + i)
            return BatchJob(prompt: model.encode("My favourite animal is"), settings: s)
        }
        let together = try batched(model, jobs, parallel: 4, contextLimit: 128)
        for (j, job) in jobs.enumerated() { XCTAssertEqual(together.tokens[j], try alone(model, job, contextLimit: 128).tokens, "seed \(100 + j)") }
    }

    func testCancellingStopsEveryReply() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let generator = BatchGenerator(model: model, contextLimit: 256)
        let jobs = (0..<5).map { _ in BatchJob(prompt: model.encode("Once upon a time"), settings: greedy(100)) }
        var seen = 0
        let summaries = try generator.run(jobs, parallel: 2) { _, _ in
            seen += 1
            if seen == 5 { generator.cancel() }
            return true
        }
        XCTAssertTrue(summaries.allSatisfy { $0.stopReason == .cancelled || $0.stopReason == .eos })
        XCTAssertLessThan(summaries.map(\.generatedTokens).reduce(0, +), 20)
    }
}
