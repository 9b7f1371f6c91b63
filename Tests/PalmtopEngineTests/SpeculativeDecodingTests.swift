import XCTest
import PalmtopTestSupport
import PalmtopEngine

/// Prompt-lookup drafting must not change what greedy generation emits: the same tokens, text, stop
/// reason and, within 1e-4 nats, the same log-probabilities, alternatives and entropies, whatever
/// ends the reply (EOS, a stop sequence, max_tokens, a full context, the caller).
final class SpeculativeDecodingTests: XCTestCase {
    /// A prompt that invites copying: the reply repeats a line of the prompt.
    static let copyPrompt = """
    Copy each line exactly.
    Line: the quick brown fox jumps over the lazy dog near the river bank
    Copy: the quick brown fox jumps over the lazy dog near the river bank
    Line: seven silver spoons sat on the shelf beside a broken clock
    Copy: seven silver spoons sat on the shelf beside a broken clock
    Line: a small red boat drifted past the lighthouse after midnight
    Copy:
    """

    struct Run {
        var events: [TokenEvent]
        var summary: GenerationSummary
    }

    func generate(_ session: Session, _ prompt: [Int], _ settings: SamplingSettings, draft: DraftSettings, forced: [Int] = [],
                  stopAfter: Int? = nil) throws -> Run {
        // From a cold cache: a fast prompt pass over the whole prompt rounds differently from one that
        // recomputes only its last token, and that must not pass for a difference made by drafting.
        session.reset()
        session.draft = draft
        var events: [TokenEvent] = []
        let summary = try session.generate(prompt: prompt, settings: settings, topN: 5, forced: forced) { e in
            events.append(e)
            return stopAfter.map { events.count < $0 } ?? true
        }
        return Run(events: events, summary: summary)
    }

    /// Continues a session's cached tokens (reusing its cache) without drafting.
    func continued(_ session: Session, _ tokens: [Int], _ settings: SamplingSettings) throws -> Run {
        session.draft = .off
        var events: [TokenEvent] = []
        let summary = try session.generate(prompt: tokens, settings: settings, topN: 5) { events.append($0); return true }
        return Run(events: events, summary: summary)
    }

    func assertSame(_ plain: Run, _ drafted: Run, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(drafted.events.map(\.id), plain.events.map(\.id), "\(label): tokens", file: file, line: line)
        XCTAssertEqual(drafted.events.map(\.text), plain.events.map(\.text), "\(label): text released per token", file: file, line: line)
        XCTAssertEqual(drafted.summary.text, plain.summary.text, "\(label): text", file: file, line: line)
        XCTAssertEqual(drafted.summary.stopReason, plain.summary.stopReason, "\(label): stop reason", file: file, line: line)
        XCTAssertEqual(drafted.summary.generatedTokens, plain.summary.generatedTokens, "\(label): count", file: file, line: line)
        for (a, b) in zip(plain.events, drafted.events) {
            XCTAssertEqual(a.position, b.position, label, file: file, line: line)
            XCTAssertEqual(a.logprob, b.logprob, accuracy: 1e-4, "\(label): logprob at \(a.position)", file: file, line: line)
            XCTAssertEqual(a.postLogprob ?? 0, b.postLogprob ?? 0, accuracy: 1e-4, label, file: file, line: line)
            XCTAssertEqual(a.entropy ?? 0, b.entropy ?? 0, accuracy: 1e-4, "\(label): entropy at \(a.position)", file: file, line: line)
            XCTAssertEqual(a.topRaw.map(\.id), b.topRaw.map(\.id), "\(label): alternatives at \(a.position)", file: file, line: line)
            for (x, y) in zip(a.topRaw, b.topRaw) { XCTAssertEqual(x.logprob, y.logprob, accuracy: 1e-4, label, file: file, line: line) }
            XCTAssertEqual(a.topPost?.map(\.id), b.topPost?.map(\.id), label, file: file, line: line)
        }
    }

    func testDraftedGreedyEqualsPlainGreedyAndAcceptsDrafts() throws {
        for name in TestSupport.defaultModels {
            let model = try TestSupport.model(name)
            let plainSession = Session(model: model, contextLimit: 512), session = Session(model: model, contextLimit: 512)
            var settings = SamplingSettings.greedy
            settings.maxTokens = 40
            let prompt = model.encode(Self.copyPrompt)
            let plain = try generate(plainSession, prompt, settings, draft: .off)
            XCTAssertNil(plain.summary.draft, "no drafting, no statistics")
            let drafted = try generate(session, prompt, settings, draft: DraftSettings())
            assertSame(plain, drafted, name)
            // Verified rows come from the same kernels as one-token decoding: they agree exactly.
            XCTAssertEqual(drafted.events.map(\.logprob), plain.events.map(\.logprob), "\(name): bit-identical rows")
            let stats = try XCTUnwrap(drafted.summary.draft)
            XCTAssertGreaterThan(stats.accepted, 5, "\(name): the copied line is drafted and accepted")
            XCTAssertLessThanOrEqual(stats.accepted, stats.proposed)
            XCTAssertLessThan(stats.passes, drafted.summary.generatedTokens, "\(name): fewer passes than tokens")
            // The cache holds exactly the accepted tokens, with the keys and values plain decoding made:
            // continuing both sessions without drafting gives the same reply.
            XCTAssertEqual(session.cachedTokens, plainSession.cachedTokens)
            let next = prompt + drafted.events.map(\.id)
            assertSame(try continued(plainSession, next, settings), try continued(session, next, settings), "\(name): after a drafted reply")
        }
    }

    /// Drafts accepted past the point where the reply ends must not leak: a stop sequence inside the
    /// copied line, max_tokens in the middle of a draft, a context that fills up, and a caller that stops.
    func testEveryWayOfEndingMatchesPlainDecoding() throws {
        let model = try TestSupport.model("gemma-3-270m")
        let prompt = model.encode(Self.copyPrompt)
        var settings = SamplingSettings.greedy
        settings.maxTokens = 40
        func both(_ label: String, contextLimit: Int = 512, settings: SamplingSettings, stopAfter: Int? = nil, forced: [Int] = []) throws {
            let session = Session(model: model, contextLimit: contextLimit)
            let plain = try generate(session, prompt, settings, draft: .off, forced: forced, stopAfter: stopAfter)
            let drafted = try generate(session, prompt, settings, draft: DraftSettings(), forced: forced, stopAfter: stopAfter)
            assertSame(plain, drafted, label)
        }
        var stop = settings
        stop.stop = [" lighthouse"]
        try both("stop sequence", settings: stop)
        for n in [1, 2, 5, 7] {
            var short = settings
            short.maxTokens = n
            try both("max_tokens \(n)", settings: short)
        }
        try both("context full", contextLimit: prompt.count + 6, settings: settings)
        try both("caller stops", settings: settings, stopAfter: 6)
        try both("forced tokens", settings: settings, forced: model.encode(" a small", addBOS: false))
    }

    /// Penalties depend on the tokens accepted so far; the chain runs on each verified row with exactly
    /// that history, so penalised greedy decoding drafts and still matches.
    func testPenalisedGreedyMatchesPlainDecoding() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let session = Session(model: model, contextLimit: 512)
        var settings = SamplingSettings.greedy
        settings.maxTokens = 32
        settings.repeatPenalty = 1.15
        settings.frequencyPenalty = 0.1
        let prompt = model.encode(Self.copyPrompt)
        let plain = try generate(session, prompt, settings, draft: .off)
        let drafted = try generate(session, prompt, settings, draft: DraftSettings())
        assertSame(plain, drafted, "penalties")
        XCTAssertGreaterThan(drafted.summary.draft?.passes ?? 0, 0, "it drafted")
    }

    /// Sampling never drafts: verification only pays when the choice is deterministic.
    func testSamplingDoesNotDraft() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let session = Session(model: model, contextLimit: 512)
        var settings = SamplingSettings()
        settings.maxTokens = 8
        let run = try generate(session, model.encode(Self.copyPrompt), settings, draft: DraftSettings())
        XCTAssertNil(run.summary.draft)
    }
}
