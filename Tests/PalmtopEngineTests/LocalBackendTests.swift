import XCTest
import PalmtopEngine
import PalmtopSampling
import PalmtopTestSupport

/// The in-process engine behind the backend interface gives what the session gives, streams, stops
/// when the consumer stops, and keeps siblings' caches apart.
final class LocalBackendTests: XCTestCase {
    func testChatPromptsGoThroughTheModelsTemplate() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let backend = LocalBackend(model: model, contextLimit: 256)
        let messages = [ChatMessage(role: .user, content: "question"), ChatMessage(role: .assistant, content: "answer"),
                        ChatMessage(role: .user, content: "last")]
        let text = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nquestion<|im_end|>\n<|im_start|>assistant\nanswer<|im_end|>\n<|im_start|>user\nlast<|im_end|>\n<|im_start|>assistant\n"
        XCTAssertEqual(backend.tokens(for: .chat(messages)), model.encode(text, parseSpecial: true))
        // Text typed in completion mode is literal: a special token's spelling stays text.
        XCTAssertEqual(backend.tokens(for: .text("<|im_start|>")), model.encode("<|im_start|>", parseSpecial: false))
        XCTAssertEqual(backend.tokens(for: .text("<|im_start|>", special: true)), model.encode("<|im_start|>", parseSpecial: true))
    }

    func testStreamingGivesTheSessionsTokens() throws {
        let model = try TestSupport.model("gemma-3-270m")
        var settings = SamplingSettings.greedy
        settings.maxTokens = 12
        let prompt = model.encode("The capital of France is")
        var direct: [Int] = []
        _ = try Session(model: model, contextLimit: 128).generate(prompt: prompt, settings: settings) { direct.append($0.id); return true }
        var streamed: [Int] = []
        let summary = try LocalBackend(model: model, contextLimit: 128).generate(GenerationRequest(prompt: .tokens(prompt), settings: settings)) {
            streamed.append($0.id)
            return true
        }
        XCTAssertEqual(streamed, direct)
        XCTAssertEqual(summary.generatedTokens, 12)
    }

    func testStoppingTheConsumerStopsTheGeneration() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        var settings = SamplingSettings.greedy
        settings.maxTokens = 200
        var seen = 0
        let summary = try LocalBackend(model: model, contextLimit: 512).generate(GenerationRequest(prompt: .text("Once upon a time"), settings: settings)) { _ in
            seen += 1
            return seen < 3
        }
        XCTAssertEqual(summary.stopReason, .cancelled)
        XCTAssertLessThan(summary.generatedTokens, 10, "the session stops within a token or two")
    }

    /// The library's dev-set runs use a sibling: the chat's cache is left as it was.
    func testASiblingHasItsOwnCache() throws {
        let model = try TestSupport.model("smollm2-135m-instruct")
        let chat = LocalBackend(model: model, contextLimit: 256)
        var settings = SamplingSettings.greedy
        settings.maxTokens = 2
        _ = try chat.generate(GenerationRequest(prompt: .text("Hello there, how are"), settings: settings)) { _ in true }
        let held = chat.contextInUse
        let library = chat.makeSibling()
        _ = try library.generate(GenerationRequest(prompt: .text("Something else entirely"), settings: settings)) { _ in true }
        XCTAssertEqual(chat.contextInUse, held)
        XCTAssertNotEqual(library.contextInUse, 0)
    }

    /// Drafting is set through the backend interface, so the REPL and CLI need not know the backend's kind.
    func testDraftingIsSetThroughTheInterface() throws {
        let backend: ModelBackend = LocalBackend(model: try TestSupport.model("smollm2-135m-instruct"), contextLimit: 256)
        XCTAssertTrue(backend.capabilities.drafting)
        backend.setDraft(.off)
        XCTAssertEqual((backend as! LocalBackend).draft, .off)
        backend.setDraft(DraftSettings())
        XCTAssertEqual((backend as! LocalBackend).draft.mode, .promptLookup)
        XCTAssertEqual((backend.makeSibling() as! LocalBackend).draft.mode, .promptLookup, "a sibling drafts as its parent")
    }
}
