/// Gemma 3 (the default base model): GeGLU, multi-query attention with RMSNorm on q and k, post-norms
/// before each residual add, embeddings scaled by sqrt(d_model), and five sliding-window layers
/// (RoPE base 10k) for every global one (RoPE base from metadata, 1M).
enum Gemma3: Architecture {
    static let name = "gemma3"

    static func config(_ m: GGUFMetadata, path: String) throws -> ModelConfig {
        let keys = ArchitectureKeys(m: m, arch: name, path: path)
        var c = try keys.base(ropeStyle: .halves)
        c.mlpActivation = .geluTanh
        c.qkNorm = true
        c.postNorms = true
        c.embeddingScale = Float(c.embeddingLength).squareRoot()
        c.ropeBaseLocal = 10_000
        c.slidingWindow = try keys.optionalInt("attention.sliding_window") ?? 512
        c.slidingWindowPattern = 6
        // query_pre_attn_scalar is head_dim for the 270M model; llama.cpp reads the same default.
        c.attentionScale = 1 / Float(c.headDim).squareRoot()
        return c
    }
}
