import ArgumentParser
import Foundation
import PalmtopEngine

/// `palmtop tokenize`: token ids of a text, as `id<TAB>piece` lines or a JSON array.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show how a model tokenizes text (from the argument or stdin).")

    @Option(name: .shortAndLong, help: "A known model name or a GGUF path (with --backend: one of the server's models).") var model: String?
    @OptionGroup var remote: RemoteOptions
    @Flag(help: "Do not add the BOS token.") var noBos = false
    @Flag(help: "Parse special-token text such as <start_of_turn>.") var special = false
    @Flag(help: "Print a JSON array of ids.") var json = false
    @Argument(help: "The text (default: stdin).") var text: String?

    func run() throws {
        if let backend = try remote.connect(model: model, contextLimit: nil) {
            // The server's own tokenizer, which always adds its BOS.
            let ids = try backend.tokenize(try text ?? readUTF8(path: nil), parseSpecial: special)
            if json { print("[" + ids.map(String.init).joined(separator: ",") + "]"); return }
            for id in ids { print("\(id)\t\(try backend.detokenize([id]).debugDescription.dropFirst().dropLast())") }
            return
        }
        // Only the vocabulary is needed: read it without dequantizing the weights.
        let file = try GGUFFile(path: try ModelStore().resolve(model ?? ModelOptions.defaultModel))
        let tokenizer = try Vocabulary.tokenizer(for: file)
        let input = try text ?? readUTF8(path: nil)
        let ids = tokenizer.encode(input, addBOS: !noBos && tokenizer.addsBOS, parseSpecial: special)
        if json {
            print("[" + ids.map(String.init).joined(separator: ",") + "]")
        } else {
            for id in ids { print("\(id)\t\(tokenizer.tokenText(id).debugDescription.dropFirst().dropLast())") }
        }
    }
}
