/// The PaLM block: one RMSNorm whose output feeds attention and the SwiGLU MLP in parallel, both added
/// to the residual; multi-query attention; RoPE on halves; tied embeddings; no biases.
/// No PaLM weights were released: `scripts/make_palm_model.py` writes a small random one.
enum PaLM: Architecture {
    static let name = "palm"

    static func config(_ m: GGUFMetadata, path: String) throws -> ModelConfig {
        var c = try ArchitectureKeys(m: m, arch: name, path: path).base(ropeStyle: .halves)
        c.parallelBlock = true
        return c
    }
}
