import XCTest
import PalmtopEngine
import PalmtopSampling
import PalmtopTestSupport

/// Many chat turns through the session API on the small model: short replies, a branch from an
/// alternative token every tenth turn, and a context small enough to overflow, so the oldest turns
/// are dropped. Resident memory must stay flat. Off by default (thousands of
/// turns take minutes): `make soak` sets PALMTOP_SOAK_TURNS=10000.
final class SoakTests: XCTestCase {
    func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = Int(statm.split(separator: " ")[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testManyTurnsKeepMemoryFlat() throws {
        guard let turns = ProcessInfo.processInfo.environment["PALMTOP_SOAK_TURNS"].flatMap(Int.init), turns > 0 else {
            throw XCTSkip("set PALMTOP_SOAK_TURNS (make soak) to run the soak test")
        }
        let model = try TestSupport.model("smollm2-135m-instruct")
        let template = try XCTUnwrap(model.chatTemplate)
        let session = Session(model: model, contextLimit: 384)
        var settings = SamplingSettings()
        settings.maxTokens = 4
        let topics = ["the sea", "guitars", "bread", "a red bicycle", "rain in April", "chess", "the moon", "tea"]
        var messages: [ChatMessage] = []
        var baseline = 0, peak = 0, dropped = 0, branches = 0, overflows = 0
        let start = Date()
        for turn in 0..<turns {
            messages.append(ChatMessage(role: .user, content: "Tell me about \(topics[turn % topics.count]) (\(turn))."))
            var prompt = model.encode(template.render(messages))
            // When the reply would not fit, drop the oldest exchanges until the prompt fills at most half the
            // context, as llama.cpp's context shift discards half: the turns after reuse the cached prefix,
            // so the run overflows every few turns instead of recomputing the whole context on every turn
            // (which made 10,000 turns take hours on two cores).
            if prompt.count + settings.maxTokens + 1 > session.contextLimit {
                while prompt.count > session.contextLimit / 2 && messages.count > 1 {
                    messages.removeFirst(min(2, messages.count - 1))
                    dropped += 1
                    prompt = model.encode(template.render(messages))
                }
            }
            settings.seed = UInt64(turn)
            var alternative: Int?
            let summary = try session.generate(prompt: prompt, settings: settings, topN: 2) { e in
                if alternative == nil { alternative = e.topRaw.first { $0.id != e.id }?.id }
                return true
            }
            if summary.stopReason == .contextFull { overflows += 1 }
            var reply = summary.text
            if turn % 10 == 9, let alternative {
                // The inspector's branch: the same prompt, a forced first token, the cache reused.
                reply = try session.generate(prompt: prompt, settings: settings, forced: [alternative]) { _ in true }.text
                branches += 1
            }
            messages.append(ChatMessage(role: .assistant, content: reply))
            let rss = residentBytes()
            if turn == 499 { baseline = rss }
            if turn >= 500 { peak = max(peak, rss) }
        }
        let final = residentBytes()
        let growth = baseline > 0 ? Double(max(peak, final) - baseline) / Double(baseline) : 0
        print(String(format: "soak: %d turns in %.0f s, %d branches, %d exchanges dropped, %d context-full replies; resident %.1f MB after 500 turns, peak %.1f MB after, %.1f MB at the end (growth %.2f%%)",
                     turns, Date().timeIntervalSince(start), branches, dropped, overflows, Double(baseline) / 1e6, Double(peak) / 1e6,
                     Double(final) / 1e6, growth * 100))
        if turns > 500 { XCTAssertLessThan(growth, 0.05, "resident memory grew by \(growth * 100)% after the first 500 turns") }
    }
}
