import PalmtopTokenizers

/// Builds a model file's tokenizer without loading its weights (for `palmtop tokenize`).
public enum Vocabulary {
    public static func tokenizer(for file: GGUFFile) throws -> Tokenizer {
        do { return try makeTokenizer(Model.vocabularySpec(file.metadata)) } catch let e as TokenizerError {
            throw GGUFError(path: file.path, problem: e.description)
        }
    }
}
