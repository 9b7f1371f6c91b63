import XCTest
import PalmtopEngine
import PalmtopTUI

/// Slash-command parsing, Tab completion, /set values and the conversation file.
final class CommandTests: XCTestCase {
    func testParsesEveryCommand() throws {
        XCTAssertEqual(try SlashCommand.parse("/help"), .help)
        XCTAssertEqual(try SlashCommand.parse("  /model gemma-3-270m "), .model("gemma-3-270m"))
        XCTAssertEqual(try SlashCommand.parse("/mode complete"), .mode(.complete))
        XCTAssertEqual(try SlashCommand.parse("/set temperature 0.5"), .set(name: "temperature", value: "0.5"))
        XCTAssertEqual(try SlashCommand.parse("/set stop"), .set(name: "stop", value: ""))
        XCTAssertEqual(try SlashCommand.parse("/set stop \\n\\n | User:"), .set(name: "stop", value: "\\n\\n | User:"))
        XCTAssertEqual(try SlashCommand.parse("/save ~/chat.json"), .save("~/chat.json"))
        XCTAssertEqual(try SlashCommand.parse("/load a b.json"), .load("a b.json"))
        XCTAssertEqual(try SlashCommand.parse("/probs on"), .probs(true))
        XCTAssertEqual(try SlashCommand.parse("/probs off"), .probs(false))
        XCTAssertEqual(try SlashCommand.parse("/draft none"), .draft(.none))
        XCTAssertEqual(try SlashCommand.parse("/draft prompt-lookup"), .draft(.promptLookup))
        for (line, command) in [("/show", SlashCommand.show), ("/clear", .clear), ("/regen", .regen), ("/quit", .quit), ("/library", .library)] {
            XCTAssertEqual(try SlashCommand.parse(line), command)
        }
    }

    func testBadCommandsGiveOneLineMessages() {
        func message(_ line: String) -> String {
            do { _ = try SlashCommand.parse(line); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(message("/frobnicate"), "unknown command /frobnicate (see /help)")
        XCTAssertEqual(message("/mode chatty"), "usage: /mode chat|complete")
        XCTAssertEqual(message("/set"), "usage: /set PARAM VALUE (e.g. /set temperature 0.7)")
        XCTAssertTrue(message("/set warmth 3").hasPrefix("unknown setting 'warmth' (one of: temperature, top_k"))
        XCTAssertEqual(message("/set top_k"), "usage: /set top_k VALUE")
        XCTAssertEqual(message("/probs maybe"), "usage: /probs on|off")
        XCTAssertEqual(message("/draft fast"), "usage: /draft prompt-lookup|none")
        XCTAssertEqual(message("/clear now"), "/clear takes no argument")
        XCTAssertEqual(message("/save"), "usage: /save FILE")
        XCTAssertFalse(message("/").isEmpty)
    }

    func testSetValidatesValuesAndKeepsTheOldOneOnError() throws {
        var s = SamplingSettings()
        try SettingsCatalog.set("temperature", to: "0.5", in: &s)
        XCTAssertEqual(s.temperature, 0.5)
        XCTAssertThrowsError(try SettingsCatalog.set("temperature", to: "-1", in: &s)) { XCTAssertEqual("\($0)", "temperature must be ≥ 0") }
        XCTAssertThrowsError(try SettingsCatalog.set("top_k", to: "many", in: &s)) { XCTAssertEqual("\($0)", "top_k needs a whole number, not 'many'") }
        XCTAssertEqual(s.temperature, 0.5)
        try SettingsCatalog.set("seed", to: "123", in: &s)
        try SettingsCatalog.set("max_tokens", to: "64", in: &s)
        try SettingsCatalog.set("stop", to: "\\n\\n | User: | a\\|b", in: &s)
        XCTAssertEqual(s.stop, ["\n\n", "User:", "a|b"])
        XCTAssertEqual(SettingsCatalog.spec(named: "stop")!.read(s), "\\n\\n | User: | a\\|b")
        try SettingsCatalog.set("order", to: "temperature,top_k", in: &s)
        XCTAssertEqual(s.order, [.temperature, .topK])
        XCTAssertThrowsError(try SettingsCatalog.set("order", to: "top_k,top_k", in: &s))
        XCTAssertEqual(s.seed, 123)
        XCTAssertEqual(s.maxTokens, 64)
        XCTAssertEqual(SettingsCatalog.spec(named: "top_p")!.read(s), "0.95")
    }

    func testTabCompletesCommandsParametersAndValues() {
        XCTAssertEqual(SlashCompleter.complete("/he").line, "/help")
        XCTAssertEqual(SlashCompleter.complete("/se").line, "/set ")
        let s = SlashCompleter.complete("/s")
        XCTAssertEqual(s.line, "/s")
        XCTAssertEqual(s.candidates, ["/set", "/show", "/save"])
        XCTAssertEqual(SlashCompleter.complete("/set tem").line, "/set temperature ")
        let p = SlashCompleter.complete("/set p")
        XCTAssertEqual(p.line, "/set presence_penalty ")
        XCTAssertEqual(SlashCompleter.complete("/set top_").candidates, ["top_k", "top_p"])
        XCTAssertEqual(SlashCompleter.complete("/mode c").candidates, ["chat", "complete"])
        XCTAssertEqual(SlashCompleter.complete("/mode co").line, "/mode complete")
        XCTAssertEqual(SlashCompleter.complete("/probs of").line, "/probs off")
        XCTAssertEqual(SlashCompleter.complete("/model g", models: ["gemma-3-270m", "smollm2-135m-instruct"]).line, "/model gemma-3-270m")
        XCTAssertEqual(SlashCompleter.complete("hello").line, "hello")
    }

    func testConversationFileRoundTripsBranchesAndInfiniteLogprobs() throws {
        var c = Conversation()
        c.turns.append(Turn(kind: .user, text: "Hi 中文 👍🏽"))
        let forced = TokenRecord(id: 5, bytes: [0xE4], text: "", logprob: -3, postLogprob: -.infinity)
        c.turns.append(Turn(kind: .assistant, branches: [Branch(tokens: [forced]), Branch(tokens: [forced], forkAt: 0, parent: 0)], current: 1))
        var settings = SamplingSettings()
        settings.seed = 9
        let file = ConversationFile(model: "smollm2-135m-instruct", mode: .complete, settings: settings, probabilities: true, conversation: c)
        let path = NSTemporaryDirectory() + "palmtop-conv-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.save(to: path)
        let back = try ConversationFile.load(from: path)
        XCTAssertEqual(back, file)
        XCTAssertEqual(back.seed, 9)
        XCTAssertEqual(back.conversation.turns[1].branches[1].tokens[0].postLogprob, -.infinity)
        try Data("{\"format\": \"other\"}".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ConversationFile.load(from: path))
    }

    func testDroppingOldTurnsKeepsTheNewestMessage() {
        var c = Conversation()
        for i in 0..<3 {
            c.turns.append(Turn(kind: .user, text: "question \(i)"))
            c.turns.append(Turn(kind: .assistant, branches: [Branch()]))
        }
        c.turns.append(Turn(kind: .user, text: "last"))
        let dropped = c.dropOldest(before: c.turns.count) { $0.promptTurns(before: $0.turns.count).count <= 3 }
        XCTAssertEqual(dropped, 4)
        XCTAssertEqual(c.promptTurns(before: c.turns.count).map(\.content), ["question 2", "", "last"])
        XCTAssertEqual(c.prompt(before: c.turns.count, mode: .chat),
                       .chat([ChatMessage(role: .user, content: "question 2"), ChatMessage(role: .assistant, content: ""),
                              ChatMessage(role: .user, content: "last")]))
        XCTAssertEqual(c.prompt(before: c.turns.count, mode: .complete), .text("question 2last"))
        // What the in-process backend renders for those turns (LocalBackend applies the model's template
        // with its default system prompt): SmolLM2's system turn comes back ahead of what is left, and
        // the empty reply stays a turn of its own.
        guard case .chat(let messages) = c.prompt(before: c.turns.count, mode: .chat) else { return XCTFail("not a chat prompt") }
        XCTAssertEqual(ChatTemplate.chatML.render(messages, defaultSystem: ChatTemplate.chatML.defaultSystemPrompt),
                       "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                       + "<|im_start|>user\nquestion 2<|im_end|>\n<|im_start|>assistant\n<|im_end|>\n<|im_start|>user\nlast<|im_end|>\n<|im_start|>assistant\n")
    }
}
