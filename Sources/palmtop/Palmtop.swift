import ArgumentParser
import Foundation

/// The `palmtop` command: the REPL by default, plus scriptable subcommands with JSON output.
@main
struct Palmtop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "palmtop",
        abstract: "PaLM-style language models in your terminal: chat, few-shot prompt library, token probabilities.",
        subcommands: [Chat.self, Generate.self, Score.self, Tokenize.self, Eval.self, Bench.self, Pull.self, Models.self, BigBench.self],
        defaultSubcommand: Chat.self)

    /// A mistake in the command line (found while parsing and validating) gets ArgumentParser's message
    /// and usage, exit 64; input that turns out bad while running — an empty prompt or one longer than
    /// the context — is one line on stderr and exit 1, like every other failure: the usage text would
    /// not help there. Help and other clean exits are ArgumentParser's.
    static func main() {
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            if let name = ProcessInfo.processInfo.environment["PALMTOP_KERNELS"], !name.isEmpty {
                try KernelChoice.apply(name, from: "PALMTOP_KERNELS")
            }
            // Read by the kernels themselves; a misspelt value would silently mean the CPU's default.
            if let dot = ProcessInfo.processInfo.environment["PALMTOP_BF16_DOT"], !["on", "off", ""].contains(dot) {
                throw ValidationError("PALMTOP_BF16_DOT: '\(dot)' is neither on nor off")
            }
            try command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data("Error: \(message(for: error))\n".utf8))
            Foundation.exit(1)
        }
    }
}
