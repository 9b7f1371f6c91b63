import ArgumentParser
import Foundation
import PalmtopEngine

/// `palmtop score`: rank classification of candidate continuations by log-likelihood.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score candidate continuations of a prompt by log-probability (rank classification).",
        discussion: """
        Prompt and choice are tokenized together; the choice's tokens are those after the longest common \
        token prefix with the prompt tokenized alone (normally exactly the prompt's tokens). Include the \
        leading space in a choice when the text needs one (" Paris").
        """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .shortAndLong, help: "The prompt text.") var prompt: String
    @Option(name: .shortAndLong, help: "A candidate continuation (repeat for each).") var choice: [String] = []
    @Flag(help: "Treat special-token text as plain text.") var noSpecial = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard !prompt.isEmpty else { throw ValidationError("the prompt is empty") }
        guard choice.count >= 1 else { throw ValidationError("give at least one --choice") }
        guard !choice.contains("") else { throw ValidationError("a choice is empty") }
    }

    func run() throws {
        let backend = try modelOptions.open()
        InterruptHandler.install(for: backend)
        let scores = try backend.score(prompt: prompt, choices: choice, parseSpecial: !noSpecial)
        let bySum = scores.indices.max { scores[$0].sumLogprob < scores[$1].sumLogprob }!
        let byMean = scores.indices.max { scores[$0].meanLogprob < scores[$1].meanLogprob }!
        if json {
            JSONLine.print([
                "choices": scores.map { ["choice": $0.choice, "tokens": $0.tokenCount, "sum_logprob": Double($0.sumLogprob),
                                         "mean_logprob": Double($0.meanLogprob)] },
                "best_by_sum": scores[bySum].choice, "best_by_mean": scores[byMean].choice,
            ])
            return
        }
        for s in scores {
            print(String(format: "%10.4f  %8.4f  %3d  %@", Double(s.sumLogprob), Double(s.meanLogprob), s.tokenCount, s.choice.debugDescription))
        }
        print("best by sum: \(scores[bySum].choice.debugDescription)   best by mean: \(scores[byMean].choice.debugDescription)")
    }
}
