import PalmtopTokenizers

/// Builds a model file's tokenizer without loading its weights (for `palmtop tokenize`).
package enum Vocabulary {
    package static func tokenizer(for file: GGUFFile) throws -> Tokenizer {
        do { return try makeTokenizer(Model.vocabularySpec(file.metadata)) } catch let e as TokenizerError {
            throw GGUFError(path: file.path, problem: e.description)
        }
    }
}
