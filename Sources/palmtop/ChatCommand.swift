import ArgumentParser
import Foundation
import PalmtopEngine
import PalmtopRemote
import PalmtopTUI

/// `palmtop chat` (and plain `palmtop`): the full-screen REPL.
struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the full-screen REPL (the default command).",
        discussion: "F1 or ? shows every key and /command inside the REPL. Ctrl-D or /quit leaves.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var drafting: DraftOptions
    @Option(help: "Start in chat mode (the model's chat template) or complete mode (plain continuation).")
    var mode: ChatMode = .chat

    func run() throws {
        // Checked before loading the model, so a pipe fails at once.
        guard isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 else { throw TerminalError.notATerminal }
        try drafting.refuse(server: modelOptions.remote.url)
        let backend = try modelOptions.open()
        drafting.apply(to: backend)
        let remote = modelOptions.remote, ctx = modelOptions.ctx
        // `/backend URL` connects like --backend, with the same key and timeout; it picks the server's first model.
        let connect: @Sendable (String) throws -> ModelBackend = { url in
            try RemoteBackend.connect(url: url, apiKey: remote.key, timeout: remote.timeout, contextLimit: ctx)
        }
        try ChatREPL.run(backend: backend, options: ChatOptions(mode: mode, contextLimit: ctx, threads: modelOptions.threads,
                                                                prefillPrecision: modelOptions.prefill, draft: drafting.settings,
                                                                localModel: remote.url == nil ? backend.modelName : ModelOptions.defaultModel,
                                                                connect: connect))
    }
}

extension ChatMode: ExpressibleByArgument {}
