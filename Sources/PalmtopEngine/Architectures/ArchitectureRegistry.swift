/// Maps GGUF metadata onto a `ModelConfig`. One small file per architecture; a new architecture is one
/// file and one line in `ArchitectureRegistry.all`.
package protocol Architecture: Sendable {
    static var name: String { get }
    static func config(_ m: GGUFMetadata, path: String) throws -> ModelConfig
}

/// The architectures Palmtop runs, keyed by `general.architecture`.
package enum ArchitectureRegistry {
    package static let all: [String: any Architecture.Type] = [
        Gemma3.name: Gemma3.self,
        Llama.name: Llama.self,
        PaLM.name: PaLM.self,
    ]

    package static func config(for file: GGUFFile) throws -> ModelConfig {
        guard let arch = file.architecture else { throw GGUFError(path: file.path, problem: "general.architecture is missing") }
        guard let type = all[arch] else {
            throw GGUFError(path: file.path, problem: "unsupported architecture '\(arch)' (Palmtop runs \(all.keys.sorted().joined(separator: ", ")))")
        }
        var config = try type.config(file.metadata, path: file.path)
        if let embd = file.tensor(TensorNames.tokenEmbedding) { config.vocabularySize = embd.dims.count > 1 ? embd.dims[1] : config.vocabularySize }
        return config
    }
}

/// Reads the `ARCH.key` metadata every architecture shares, failing with the missing key's name.
struct ArchitectureKeys {
    let m: GGUFMetadata
    let arch: String
    let path: String

    func int(_ key: String) throws -> Int {
        guard let v = try optionalInt(key) else { throw GGUFError(path: path, problem: "metadata key \(arch).\(key) is missing") }
        return v
    }
    /// Every count and length is checked, present or not required: a zero KV-head count divided by zero.
    func optionalInt(_ key: String) throws -> Int? {
        guard let value = m["\(arch).\(key)"] else { return nil }
        guard let v = value.intValue, v > 0, v < 1 << 24 else {
            throw GGUFError(path: path, problem: "metadata \(arch).\(key) = \(value.summary) is out of range")
        }
        return v
    }
    func float(_ key: String, default d: Float) -> Float { m.double("\(arch).\(key)").map(Float.init) ?? d }

    /// The fields every decoder has, filled from the standard GGUF keys.
    func base(ropeStyle: RopeStyle) throws -> ModelConfig {
        let d = try int("embedding_length")
        let heads = try int("attention.head_count")
        let headDim = try optionalInt("attention.key_length") ?? d / heads
        let kvHeads = try optionalInt("attention.head_count_kv") ?? heads
        guard heads % kvHeads == 0 else { throw GGUFError(path: path, problem: "\(heads) heads are not a multiple of \(kvHeads) KV heads") }
        let base = float("rope.freq_base", default: 10_000)
        return ModelConfig(
            architecture: arch, vocabularySize: m.strings("tokenizer.ggml.tokens")?.count ?? 0,
            embeddingLength: d, layerCount: try int("block_count"), headCount: heads, kvHeadCount: kvHeads,
            headDim: headDim, feedForwardLength: try int("feed_forward_length"),
            contextLength: try optionalInt("context_length") ?? 2048,
            rmsEpsilon: float("attention.layer_norm_rms_epsilon", default: 1e-6), ropeStyle: ropeStyle,
            ropeBase: base, ropeBaseLocal: base, parallelBlock: false, mlpActivation: .silu, qkNorm: false,
            postNorms: false, embeddingScale: 1, attentionScale: 1 / Float(headDim).squareRoot(),
            slidingWindow: nil, slidingWindowPattern: 1)
    }
}
