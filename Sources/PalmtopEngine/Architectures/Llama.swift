/// Llama-style decoders (SmolLM2): RMSNorm, grouped-query attention, RoPE on adjacent pairs (GGUF
/// stores q and k permuted for it), SwiGLU, tied or separate output.
enum Llama: Architecture {
    static let name = "llama"

    static func config(_ m: GGUFMetadata, path: String) throws -> ModelConfig {
        try ArchitectureKeys(m: m, arch: name, path: path).base(ropeStyle: .interleaved)
    }
}
