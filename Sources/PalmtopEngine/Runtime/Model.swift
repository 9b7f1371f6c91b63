import Foundation
import PalmtopTokenizers

/// A model ready to run: its file, config, bf16 weights, tokenizer and decoder, plus load timings.
public final class Model: @unchecked Sendable {
    package let file: GGUFFile
    public let config: ModelConfig
    public let tokenizer: Tokenizer
    package let decoder: Decoder
    package let pool: ThreadPool
    public let chatTemplate: ChatTemplate?
    /// Seconds spent dequantizing weights to bf16, and in total.
    public let dequantizeSeconds: Double
    public let loadSeconds: Double
    public var name: String { (file.path as NSString).lastPathComponent.replacingOccurrences(of: ".gguf", with: "") }

    /// `threads`: the thread pool's size; nil means one thread per physical core.
    public init(path: String, threads: Int? = nil) throws {
        let t0 = Date()
        let file = try GGUFFile(path: path)
        self.file = file
        let config = try ArchitectureRegistry.config(for: file)
        self.config = config
        do {
            tokenizer = try makeTokenizer(Self.vocabularySpec(file.metadata))
        } catch let e as TokenizerError {
            throw GGUFError(path: path, problem: e.description)
        }
        guard tokenizer.vocabularySize == config.vocabularySize else {
            throw GGUFError(path: path, problem: "tokenizer has \(tokenizer.vocabularySize) tokens but the embedding has \(config.vocabularySize) rows")
        }
        pool = ThreadPool(threads: threads ?? ThreadPool.defaultThreadCount)
        let t1 = Date()
        let weights = try ModelWeights.load(file: file, config: config, pool: pool)
        dequantizeSeconds = Date().timeIntervalSince(t1)
        file.mapping.releaseResidentPages()
        decoder = Decoder(config: config, weights: weights, pool: pool)
        chatTemplate = ChatTemplate.detect(tokenizer: tokenizer)
        loadSeconds = Date().timeIntervalSince(t0)
    }

    static func vocabularySpec(_ m: GGUFMetadata) throws -> VocabularySpec {
        guard let model = m.string(TokenizerKeys.model) else { throw TokenizerError.malformed("\(TokenizerKeys.model) is missing") }
        guard let tokens = m.strings(TokenizerKeys.tokens), !tokens.isEmpty else { throw TokenizerError.malformed("no tokens") }
        let kinds = (m.ints(TokenizerKeys.types) ?? []).map { TokenKind(rawValue: $0) ?? .normal }
        return VocabularySpec(
            model: model, preTokenizer: m.string(TokenizerKeys.pre), tokens: tokens,
            scores: m.floats(TokenizerKeys.scores) ?? [], kinds: kinds, merges: m.strings(TokenizerKeys.merges) ?? [],
            bosID: m.int(TokenizerKeys.bos), eosID: m.int(TokenizerKeys.eos),
            addBOS: m.bool(TokenizerKeys.addBOS) ?? (model == "llama"),
            addSpacePrefix: m.bool(TokenizerKeys.addSpacePrefix) ?? false)
    }

    /// Tokenizes a prompt the way the model expects (BOS per metadata; special tokens parsed unless told not to).
    public func encode(_ text: String, parseSpecial: Bool = true, addBOS: Bool? = nil) -> [Int] {
        tokenizer.encode(text, addBOS: addBOS ?? tokenizer.addsBOS, parseSpecial: parseSpecial)
    }
}
