/// Every GGUF tensor and tokenizer key name the engine reads, in one place.
package enum TensorNames {
    package static let tokenEmbedding = "token_embd.weight"
    package static let outputNorm = "output_norm.weight"
    package static let output = "output.weight"

    static func block(_ i: Int, _ name: String) -> String { "blk.\(i).\(name).weight" }
    static let attnNorm = "attn_norm", attnQ = "attn_q", attnK = "attn_k", attnV = "attn_v", attnOut = "attn_output"
    static let attnQNorm = "attn_q_norm", attnKNorm = "attn_k_norm", postAttnNorm = "post_attention_norm"
    static let ffnNorm = "ffn_norm", ffnGate = "ffn_gate", ffnUp = "ffn_up", ffnDown = "ffn_down", postFfnNorm = "post_ffw_norm"
}

/// Tokenizer metadata keys.
package enum TokenizerKeys {
    package static let model = "tokenizer.ggml.model"
    package static let pre = "tokenizer.ggml.pre"
    package static let tokens = "tokenizer.ggml.tokens"
    package static let scores = "tokenizer.ggml.scores"
    package static let types = "tokenizer.ggml.token_type"
    package static let merges = "tokenizer.ggml.merges"
    package static let bos = "tokenizer.ggml.bos_token_id"
    package static let eos = "tokenizer.ggml.eos_token_id"
    package static let addBOS = "tokenizer.ggml.add_bos_token"
    package static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
    package static let chatTemplate = "tokenizer.chat_template"
}
