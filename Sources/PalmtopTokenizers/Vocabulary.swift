import Foundation

/// Token kinds as GGUF stores them (`tokenizer.ggml.token_type`).
public enum TokenKind: Int, Sendable {
    case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}

/// Everything a tokenizer needs, in flat arrays decoded once from the model file.
public struct VocabularySpec: Sendable {
    /// `tokenizer.ggml.model`: "llama" (SentencePiece BPE by scores) or "gpt2" (byte-level BPE by merge rank).
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer for byte-level BPE.
    public var preTokenizer: String?
    public var tokens: [String]
    public var scores: [Float]
    public var kinds: [TokenKind]
    public var merges: [String]
    public var bosID: Int?
    public var eosID: Int?
    public var addBOS: Bool
    public var addSpacePrefix: Bool

    public init(model: String, preTokenizer: String?, tokens: [String], scores: [Float], kinds: [TokenKind],
                merges: [String], bosID: Int?, eosID: Int?, addBOS: Bool, addSpacePrefix: Bool) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.scores = scores
        self.kinds = kinds
        self.merges = merges
        self.bosID = bosID
        self.eosID = eosID
        self.addBOS = addBOS
        self.addSpacePrefix = addSpacePrefix
    }
}

/// A tokenizer problem, printed as one line.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unknownModel(String)
    case unknownPreTokenizer(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .unknownModel(let m): return "unsupported tokenizer model '\(m)' (Palmtop reads 'llama' and 'gpt2')"
        case .unknownPreTokenizer(let p): return "unsupported pre-tokenizer '\(p)' for a byte-level BPE vocabulary (Palmtop reads 'default', 'gpt2' and 'smollm')"
        case .malformed(let why): return "malformed vocabulary: \(why)"
        }
    }
}

/// Text → token ids → bytes. Implementations must reproduce the reference tokenizers token for token.
public protocol Tokenizer: Sendable {
    var vocabularySize: Int { get }
    var bosID: Int? { get }
    var eosID: Int? { get }
    /// Whether the model expects a BOS token at the start of a prompt.
    var addsBOS: Bool { get }
    /// Token ids that end a generation (EOS, end-of-turn markers).
    var endOfGenerationIDs: Set<Int> { get }
    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int]
    /// The bytes a token stands for in decoded text (control tokens decode to nothing unless `special`).
    func bytes(of id: Int, special: Bool) -> [UInt8]
    /// The token's stored text (e.g. "▁the", "<0x0A>"), for inspectors.
    func tokenText(_ id: Int) -> String
    func kind(of id: Int) -> TokenKind
    func id(of text: String) -> Int?
}

extension Tokenizer {
    /// Decodes a whole id sequence (invalid UTF-8 is replaced, as a terminal would show it).
    public func decode(_ ids: [Int], special: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids { bytes += self.bytes(of: id, special: special) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Builds the tokenizer the spec asks for; an unknown model or pre-tokenizer is an error, never a guess.
public func makeTokenizer(_ spec: VocabularySpec) throws -> Tokenizer {
    guard spec.tokens.count == spec.kinds.count || spec.kinds.isEmpty else {
        throw TokenizerError.malformed("\(spec.tokens.count) tokens but \(spec.kinds.count) token types")
    }
    switch spec.model {
    case "llama":
        return try SentencePieceBPE(spec)
    case "gpt2":
        let pre = spec.preTokenizer ?? "default"
        guard let rule = ByteLevelPreTokenizer(name: pre) else { throw TokenizerError.unknownPreTokenizer(pre) }
        return try ByteLevelBPE(spec, preTokenizer: rule)
    default:
        throw TokenizerError.unknownModel(spec.model)
    }
}

/// Shared storage for both BPE flavours: token strings, kinds, a text → id index and the special-token trie.
struct VocabularyTables: Sendable {
    let tokens: [String]
    let kinds: [TokenKind]
    let index: ByteIndex
    let specials: SpecialTokenTrie
    let bosID: Int?
    let eosID: Int?
    let endOfGeneration: Set<Int>

    init(_ spec: VocabularySpec) {
        tokens = spec.tokens
        var kinds = spec.kinds.isEmpty ? Array(repeating: .normal, count: spec.tokens.count) : spec.kinds
        // End-of-generation markers stored as user-defined (Gemma's "</s>") are control tokens, as the
        // reference treats them: matched only when special tokens are parsed, and they end generation.
        for (i, t) in spec.tokens.enumerated() where kinds[i] == .userDefined && Self.endMarkers.contains(t) { kinds[i] = .control }
        self.kinds = kinds
        index = ByteIndex(tokens)
        specials = SpecialTokenTrie(tokens: tokens, kinds: kinds)
        bosID = spec.bosID
        eosID = spec.eosID
        var eog = Set<Int>()
        if let e = spec.eosID { eog.insert(e) }
        for marker in Self.endMarkers {
            if let id = index.lookup(marker) { eog.insert(id) }
        }
        endOfGeneration = eog
    }

    static let endMarkers = ["<end_of_turn>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>", "<eos>"]

    func kind(_ id: Int) -> TokenKind { id >= 0 && id < kinds.count ? kinds[id] : .unknown }
    func text(_ id: Int) -> String { id >= 0 && id < tokens.count ? tokens[id] : "" }
}

/// A tokenizer whose vocabulary lives in `VocabularyTables`: the lookups every flavour shares.
protocol VocabularyBacked: Tokenizer {
    var tables: VocabularyTables { get }
}

extension VocabularyBacked {
    var vocabularySize: Int { tables.tokens.count }
    var bosID: Int? { tables.bosID }
    var eosID: Int? { tables.eosID }
    var endOfGenerationIDs: Set<Int> { tables.endOfGeneration }
    func tokenText(_ id: Int) -> String { tables.text(id) }
    func kind(of id: Int) -> TokenKind { tables.kind(id) }
    func id(of text: String) -> Int? { tables.index.lookup(text) }
}
