import ArgumentParser
import Foundation

/// The `palmtop` command: the REPL by default, plus scriptable subcommands with JSON output.
@main
struct Palmtop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "palmtop",
        abstract: "PaLM-style language models in your terminal: chat, few-shot prompt library, token probabilities.",
        subcommands: [Chat.self, Generate.self, Score.self, Tokenize.self, Eval.self, Bench.self, Pull.self, Models.self],
        defaultSubcommand: Chat.self)
}
