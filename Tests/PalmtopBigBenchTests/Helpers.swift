import Foundation
import PalmtopBigBench

/// A task from JSON text written in the test (never BIG-bench's own data).
func task(_ json: String) throws -> BigBenchTask {
    try BigBenchTask.decode(try JSONValue.parse(Data(json.utf8)))
}

/// The header every leaf needs, plus `extra` fields and the examples.
func leafJSON(_ extra: String = "", metrics: String = #"["multiple_choice_grade"]"#, preferred: String = "multiple_choice_grade",
              examples: String) -> String {
    """
    {"canary": "test", "name": "t", "description": "a test task", "keywords": ["test"], "metrics": \(metrics),
     "preferred_score": "\(preferred)"\(extra.isEmpty ? "" : ", " + extra), "examples": \(examples)}
    """
}

/// A scripted model: fixed log-probabilities per choice text, fixed outputs per prompt suffix.
final class FakeModel: BigBenchModel {
    var choiceLogprobs: [String: Double] = [:]
    var output: (String) -> String = { _ in "" }
    var scoredPrompts: [String] = []
    var generatedPrompts: [String] = []

    func logprobs(prompt: String, targets: [String]) throws -> [Double] {
        scoredPrompts.append(prompt)
        return targets.map { choiceLogprobs[$0] ?? -10 }
    }

    /// Replies last to first, so that the runner's in-order release is exercised.
    func generate(prompts: [String], maxTokens: Int, parallel: Int, settled: (String) -> Bool, onReply: (Int, String) -> Void) throws {
        generatedPrompts += prompts
        var texts: [String] = []
        for prompt in prompts {
            var text = ""
            for c in output(prompt) {
                text.append(c)
                if settled(text) { break }
            }
            texts.append(text)
        }
        for (i, text) in texts.enumerated().reversed() { onReply(i, text) }
    }
}
