/// Every GGUF tensor and tokenizer key name the engine reads, in one place.
public enum TensorNames {
    public static let tokenEmbedding = "token_embd.weight"
    public static let outputNorm = "output_norm.weight"
    public static let output = "output.weight"

    static func block(_ i: Int, _ name: String) -> String { "blk.\(i).\(name).weight" }
    static let attnNorm = "attn_norm", attnQ = "attn_q", attnK = "attn_k", attnV = "attn_v", attnOut = "attn_output"
    static let attnQNorm = "attn_q_norm", attnKNorm = "attn_k_norm", postAttnNorm = "post_attention_norm"
    static let ffnNorm = "ffn_norm", ffnGate = "ffn_gate", ffnUp = "ffn_up", ffnDown = "ffn_down", postFfnNorm = "post_ffw_norm"
}

/// Tokenizer metadata keys.
public enum TokenizerKeys {
    public static let model = "tokenizer.ggml.model"
    public static let pre = "tokenizer.ggml.pre"
    public static let tokens = "tokenizer.ggml.tokens"
    public static let scores = "tokenizer.ggml.scores"
    public static let types = "tokenizer.ggml.token_type"
    public static let merges = "tokenizer.ggml.merges"
    public static let bos = "tokenizer.ggml.bos_token_id"
    public static let eos = "tokenizer.ggml.eos_token_id"
    public static let addBOS = "tokenizer.ggml.add_bos_token"
    public static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
    public static let chatTemplate = "tokenizer.chat_template"
}
