import XCTest
import PalmtopTestSupport
import PalmtopEngine

/// Session behaviour on the real default models: prefix reuse, limits, stop sequences, determinism.
final class SessionTests: XCTestCase {
    func testPrefixReuseRecomputesOnlyTheChangedSuffix() throws {
        let model = try TestSupport.model("gemma-3-270m")
        let session = Session(model: model, contextLimit: 1024)
        let base = model.encode("Q: What is 2 + 2?\nA: 4\n\nQ: What is 3 + 5?\nA: 8\n\nQ: What is 7 - 1?\nA:")
        try session.prefill(base)
        var edited = base
        edited[edited.count - 3] = model.encode("9", addBOS: false)[0]
        let stats = try session.prefill(edited)
        XCTAssertEqual(stats.reused, edited.count - 3)
        XCTAssertEqual(stats.computed, 3)
        // Re-running the same prompt recomputes only the last token (its logits are needed).
        XCTAssertEqual(try session.prefill(edited).computed, 1)
    }

    func testReusedCacheGivesTheSameLogitsAsAColdRun() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let a = model.encode("The quick brown fox jumps over the lazy dog. The quick brown")
        let b = model.encode("The quick brown fox jumps over the lazy cat. The quick brown")
        let warm = Session(model: model, contextLimit: 256)
        try warm.prefill(a)
        var warmLogits: [Float] = [], coldLogits: [Float] = []
        try warm.prefill(b) { _, r in warmLogits = Array(r) }
        try Session(model: model, contextLimit: 256).prefill(b) { _, r in coldLogits = Array(r) }
        XCTAssertLessThan(zip(warmLogits, coldLogits).map { abs($0 - $1) }.max()!, 1e-3)
    }

    /// Sessions share the model's weights but not its scratch: two generating and scoring on two
    /// threads at once give exactly what each gives alone.
    func testTwoSessionsOnOneModelRunConcurrentlyWithTheSameResults() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let prompts = [model.encode("The history of the sea is long, and"), model.encode("Guitars have six strings and a")]
        var settings = SamplingSettings()
        settings.temperature = 0.7
        settings.seed = 5
        settings.maxTokens = 24
        let run: @Sendable ([Int]) throws -> [Float] = { [settings] prompt in
            let session = Session(model: model, contextLimit: 256)
            var out: [Float] = []
            _ = try session.generate(prompt: prompt, settings: settings) { e in out += [Float(e.id), e.logprob]; return true }
            return out + (try session.promptLogprobs(prompt).compactMap(\.logprob))
        }
        let alone = try prompts.map(run)
        let results = ConcurrentResults()
        let group = DispatchGroup()
        for i in 0..<2 {
            group.enter()
            Thread { results.set(i, (try? run(prompts[i])) ?? []); group.leave() }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success, "both sessions finish")
        XCTAssertEqual(results.values, alone)
    }

    /// A prompt pass at fast precision (before generating) must not leak into scoring, which is exact:
    /// scoring on a session that just generated gives the same numbers as on a fresh one.
    func testScoringAfterAFastPromptPassIsExact() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let ids = model.encode("The quick brown fox jumps over the lazy dog, and then it runs into the forest to")
        let used = Session(model: model, contextLimit: 256)
        XCTAssertEqual(used.prefillPrecision, .fast, "a session's prompt passes are fast unless asked otherwise")
        var settings = SamplingSettings.greedy
        settings.maxTokens = 4
        _ = try used.generate(prompt: ids, settings: settings) { _ in true }
        let afterGenerating = try used.promptLogprobs(ids).compactMap(\.logprob)
        let fresh = try Session(model: model, contextLimit: 256).promptLogprobs(ids).compactMap(\.logprob)
        XCTAssertEqual(afterGenerating, fresh)
        // Once the cache is exact, rank classification reuses it: a choice computes only its own tokens.
        let computed = used.totalComputed
        _ = try used.score(prompt: "The quick brown fox jumps over the lazy dog, and then it runs into the forest to", choices: [" hide"])
        XCTAssertEqual(used.totalComputed - computed, model.encode(" hide", addBOS: false).count + 1)
    }

    /// Rank classification of a prompt longer than a scoring batch: the batches before the choice return
    /// no logits but must still run exact, so the sums do not depend on the prompt-pass setting.
    func testRankClassificationOfALongPromptIsExact() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let prompt = (0..<12).map { "Review \($0): the food was good and the service was quick." }.joined(separator: "\n") + "\nSentiment:"
        XCTAssertGreaterThan(model.encode(prompt).count, 100)
        var sums: [PrefillPrecision: [Float]] = [:]
        for precision in PrefillPrecision.allCases {
            sums[precision] = try Session(model: model, contextLimit: 512, prefill: precision).score(prompt: prompt, choices: [" positive", " negative"]).map(\.sumLogprob)
        }
        XCTAssertEqual(sums[.fast], sums[.exact])
    }

    /// Sliding-window layers keep a ring of window + slack slots. A prompt far longer than the ring must
    /// give the same logits as a cache with a slot per position, and an edit further back than the ring
    /// still holds must fall back to recomputing, not read overwritten keys.
    func testSlidingWindowRingMatchesFullCache() throws {
        let model = try TestSupport.model("gemma-3-270m")
        let text = (0..<90).map { "Line \($0): the quick brown fox jumps over the lazy dog." }.joined(separator: "\n")
        let tokens = Array(model.encode(text).prefix(1100))
        XCTAssertEqual(tokens.count, 1100)
        let ring = Session(model: model, contextLimit: 2048, slidingSlack: Decoder.maxBatch)
        let full = Session(model: model, contextLimit: 2048, slidingSlack: 4096)
        XCTAssertLessThan(ring.cache.slots[0], 1100, "layer 0 slides and must wrap")
        XCTAssertEqual(full.cache.slots[0], 2048)
        var a: [Float] = [], b: [Float] = []
        try ring.prefill(tokens) { _, r in a = Array(r) }
        try full.prefill(tokens) { _, r in b = Array(r) }
        XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, 1e-3)
        // Sizes that are not whole key blocks of 16 (rounded up inside the cache) give the same logits.
        let odd = Session(model: model, contextLimit: 1999, slidingSlack: Decoder.maxBatch + 5)
        XCTAssertEqual(odd.cache.slots[0] % 16, 0)
        var c: [Float] = []
        try odd.prefill(tokens) { _, r in c = Array(r) }
        XCTAssertLessThan(zip(c, b).map { abs($0 - $1) }.max()!, 1e-3)
        // Edit 600 tokens back: the ring no longer holds the window there, so everything is recomputed.
        var edited = tokens
        edited[500] = edited[501]
        let stats = try ring.prefill(edited) { _, r in a = Array(r) }
        XCTAssertEqual(stats.reused, 0)
        try full.prefill(edited) { _, r in b = Array(r) }
        XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, 1e-3)
        // A recent edit is served from the ring.
        edited[1090] = edited[1091]
        XCTAssertEqual(try ring.prefill(edited).reused, 1090)
    }

    func testPromptLongerThanContextIsAnError() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let session = Session(model: model, contextLimit: 16)
        let tokens = model.encode(String(repeating: "word ", count: 40))
        XCTAssertThrowsError(try session.prefill(tokens)) {
            XCTAssertEqual($0 as? EngineError, .promptTooLong(tokens: tokens.count, limit: 16))
        }
        XCTAssertThrowsError(try session.prefill([])) { XCTAssertEqual($0 as? EngineError, .emptyPrompt) }
    }

    func testSameSeedSameTokensAndStopSequencesAreHidden() throws {
        let model = try TestSupport.model("gemma-3-270m")
        var settings = SamplingSettings()
        settings.temperature = 1.0
        settings.seed = 99
        settings.maxTokens = 24
        let prompt = model.encode("Once upon a time")
        func run(_ s: SamplingSettings) throws -> (ids: [Int], summary: GenerationSummary) {
            var ids: [Int] = []
            let summary = try Session(model: model, contextLimit: 128).generate(prompt: prompt, settings: s) { ids.append($0.id); return true }
            return (ids, summary)
        }
        let first = try run(settings), second = try run(settings)
        XCTAssertEqual(first.ids, second.ids)
        // Stop at a word the unconstrained run produced: it must end the text and not appear in it.
        let words = first.summary.text.split(separator: " ")
        XCTAssertGreaterThan(words.count, 3, "24 sampled tokens give more than three words: \(first.summary.text)")
        guard words.count > 3 else { return }
        settings.stop = [String(words[2])]
        let stopped = try run(settings)
        XCTAssertEqual(stopped.summary.stopReason, .stop)
        XCTAssertFalse(stopped.summary.text.contains(String(words[2])))
        XCTAssertTrue(first.summary.text.hasPrefix(stopped.summary.text))
    }

    func testLiveSettingsApplyFromTheNextToken() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        var settings = SamplingSettings.greedy
        settings.maxTokens = 50
        let live = LiveSettings()
        var count = 0
        let summary = try Session(model: model, contextLimit: 256).generate(prompt: model.encode("Count: one, two,"), settings: settings, live: live) { _ in
            count += 1
            if count == 2 { var s = settings; s.maxTokens = 5; live.current = s }
            return true
        }
        XCTAssertEqual(summary.generatedTokens, 5)
        XCTAssertEqual(summary.stopReason, .maxTokens)
    }

    func testEveryTokenCarriesLogprobsAndAlternatives() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        var settings = SamplingSettings()
        settings.maxTokens = 5
        _ = try Session(model: model, contextLimit: 128).generate(prompt: model.encode("Hello"), settings: settings, topN: 5) { e in
            XCTAssertEqual(e.topRaw.count, 5)
            XCTAssertLessThanOrEqual(e.logprob, 0)
            XCTAssertGreaterThanOrEqual(e.postLogprob ?? -.infinity, e.logprob - 1e-4, "sampling narrows the distribution")
            XCTAssertGreaterThan(e.entropy ?? 0, 0)
            XCTAssertTrue(e.topRaw.map(\.logprob) == e.topRaw.map(\.logprob).sorted(by: >))
            return true
        }
    }

    func testScoreRanksTheObviousChoice() throws {
        let model = try TestSupport.model("gemma-3-270m")
        let scores = try Session(model: model).score(prompt: "The capital of France is", choices: [" Paris", " banana"])
        XCTAssertGreaterThan(scores[0].sumLogprob, scores[1].sumLogprob)
        XCTAssertEqual(scores[0].tokenCount, 1)
    }
}

/// Named intermediates reach a tap handler, for debugging and tests.
final class TapTests: XCTestCase {
    func testEveryLayerReportsItsIntermediates() throws {
        let model = try Model(path: TestSupport.testData.appendingPathComponent("palm-tiny.gguf").path)
        var seen: [String: Set<Int>] = [:]
        let session = Session(model: model, contextLimit: 64)
        session.tap = { name, layer, _, values in
            seen[name, default: []].insert(layer)
            XCTAssertFalse(values.contains { !$0.isFinite })
        }
        try session.prefill([2, 10, 20, 30])
        for name in ["attn_norm", "attn_out", "ffn_out", "l_out"] {
            XCTAssertEqual(seen[name], Set(0..<model.config.layerCount), name)
        }
        XCTAssertNil(seen["ffn_norm"], "the parallel PaLM block has no second norm")
        XCTAssertEqual(seen["result_norm"], [-1])
    }
}

/// What two threads produced, one slot each.
private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[Float]] = [[], []]
    var values: [[Float]] { lock.lock(); defer { lock.unlock() }; return slots }
    func set(_ i: Int, _ v: [Float]) { lock.lock(); slots[i] = v; lock.unlock() }
}
