import PalmtopEngine

/// Any backend as a BIG-bench model: what the REPL's library runs a task on, through the same seam as
/// every other library run. Multiple choice needs `scoreApart`, which only the in-process engine has;
/// generation works on a server too.
public final class BackendBigBenchModel: BigBenchModel {
    public let backend: ModelBackend

    public init(backend: ModelBackend) { self.backend = backend }

    public func logprobs(prompt: String, targets: [String]) throws -> [Double] {
        try backend.scoreApart(prompt: prompt, continuations: targets)
    }

    /// Greedy, at most `maxTokens` tokens, task text never parsed for special tokens.
    public func generate(prompt: String, maxTokens: Int, settled: (String) -> Bool) throws -> String {
        var settings = SamplingSettings.greedy
        settings.maxTokens = maxTokens
        var text = ""
        let summary = try backend.generate(GenerationRequest(prompt: .text(prompt, special: false), settings: settings, topN: 0)) { event in
            text += event.text
            return !settled(text)
        }
        return summary.text
    }
}
