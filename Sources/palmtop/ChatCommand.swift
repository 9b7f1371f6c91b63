import ArgumentParser
import Foundation
import PalmtopEngine
import PalmtopTUI

/// `palmtop chat` (and plain `palmtop`): the full-screen REPL.
struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the full-screen REPL (the default command).",
        discussion: "F1 or ? shows every key and /command inside the REPL. Ctrl-D or /quit leaves.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Start in chat mode (the model's chat template) or complete mode (plain continuation).")
    var mode: ChatMode = .chat

    func run() throws {
        // Checked before loading the model, so a pipe fails at once.
        guard isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 else { throw TerminalError.notATerminal }
        let model = try modelOptions.load()
        try ChatREPL.run(model: model, options: ChatOptions(mode: mode, contextLimit: modelOptions.ctx, threads: modelOptions.threads,
                                                            prefillPrecision: modelOptions.prefill))
    }
}

extension ChatMode: ExpressibleByArgument {}
