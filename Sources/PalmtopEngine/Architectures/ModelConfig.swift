/// How RoPE pairs the dimensions of a head: GGUF llama weights are permuted for adjacent pairs
/// (`interleaved`); Gemma and PaLM rotate the two halves (`halves`, GPT-NeoX style).
public enum RopeStyle: String, Sendable { case interleaved, halves }

/// The MLP's gate activation: SwiGLU (PaLM, Llama) or GeGLU with the tanh approximation (Gemma).
public enum MLPActivation: String, Sendable { case silu, geluTanh = "gelu-tanh" }

/// Everything that distinguishes one decoder from another, as data: PaLM, Gemma 3 and Llama are the
/// same shared blocks with different fields.
public struct ModelConfig: Sendable {
    public var architecture: String
    public var vocabularySize: Int
    public var embeddingLength: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var feedForwardLength: Int
    public var contextLength: Int
    public var rmsEpsilon: Float
    public var ropeStyle: RopeStyle
    /// RoPE base on global-attention layers.
    public var ropeBase: Float
    /// RoPE base on sliding-window layers (Gemma 3 uses a smaller one there).
    public var ropeBaseLocal: Float
    /// `y = x + attn(norm(x)) + mlp(norm(x))` (PaLM) instead of attention then MLP.
    public var parallelBlock: Bool
    public var mlpActivation: MLPActivation
    /// RMSNorm on each query and key head before RoPE (Gemma 3).
    public var qkNorm: Bool
    /// Norms on the attention and MLP outputs before each residual add (Gemma 3).
    public var postNorms: Bool
    /// Multiplies token embeddings (Gemma: sqrt(d_model)).
    public var embeddingScale: Float
    public var attentionScale: Float
    /// Window (keys per query, the query's own position included) on sliding layers; nil for none.
    public var slidingWindow: Int?
    /// Every `slidingWindowPattern`-th layer is global, the others slide (Gemma 3: 6).
    public var slidingWindowPattern: Int

    public func isSliding(layer: Int) -> Bool {
        guard slidingWindow != nil, slidingWindowPattern > 1 else { return false }
        return (layer + 1) % slidingWindowPattern != 0
    }

    public var qDim: Int { headCount * headDim }
    public var kvDim: Int { kvHeadCount * headDim }
}
