import PalmtopEngine

/// Which OpenAI-compatible server answers, detected at connect time from `/v1/models`' `owned_by`
/// (and llama.cpp's `/props`): each differs in sampling parameter names, in how it returns token ids
/// and log-probabilities, and in whether it can score a prompt (see shared/REMOTE.md).
public enum ServerKind: String, Sendable {
    case llamaCpp = "llama.cpp server"
    case vllm = "vLLM"
    case sglang = "SGLang"
    case llamaCppPython = "llama-cpp-python server"
    case ollama = "ollama"
    case tgi = "TGI"
    case unknown = "OpenAI-compatible server"

    static func detect(ownedBy: String?) -> ServerKind {
        switch ownedBy?.lowercased() {
        case "llamacpp": return .llamaCpp
        case "vllm": return .vllm
        case "sglang": return .sglang
        case "me": return .llamaCppPython
        case "library", "ollama": return .ollama
        case "tgi", "text-generation-inference": return .tgi
        default: return .unknown
        }
    }

    /// Prompt log-probabilities come back with `echo: true` (or vLLM's `prompt_logprobs`).
    var canScore: Bool { [.vllm, .sglang, .llamaCppPython, .unknown].contains(self) }

    var scoringLimitation: String? {
        switch self {
        case .llamaCpp: return "llama.cpp's server refuses echo, so it cannot return prompt log-probabilities: scoring and rank classification need vLLM, SGLang or llama-cpp-python's server"
        case .ollama: return "ollama returns no prompt log-probabilities: scoring and rank classification need vLLM, SGLang or llama-cpp-python's server"
        case .tgi: return "TGI's OpenAI routes return no prompt log-probabilities: scoring and rank classification need vLLM, SGLang or llama-cpp-python's server"
        default: return nil
        }
    }

    /// The request key for the repetition penalty.
    var repetitionPenaltyKey: String? {
        switch self {
        case .llamaCpp, .llamaCppPython: return "repeat_penalty"
        case .vllm, .sglang, .tgi, .unknown: return "repetition_penalty"
        case .ollama: return nil
        }
    }

    /// Settings (SamplingSettings coding keys) this server does not take.
    var ignoredSettings: Set<String> {
        switch self {
        case .llamaCpp: return []
        case .vllm, .sglang: return ["repeat_last_n", "order"]
        case .llamaCppPython: return ["repeat_last_n", "order"]
        case .ollama: return ["top_k", "min_p", "repeat_penalty", "repeat_last_n", "order"]
        case .tgi: return ["min_p", "repeat_last_n", "order"]
        case .unknown: return ["repeat_last_n", "order"]
        }
    }

    /// The server closes the connection after every streamed response although its headers promise
    /// keep-alive (llama.cpp's server, as the xllamacpp 2026.10 build does: `Keep-Alive: timeout=5,
    /// max=100`, no `Connection: close`, then a FIN). A pooled connection is then dead by the time the
    /// next request goes out on it, and a request that follows at once races the FIN ("I/O on closed
    /// channel"); asking to close the connection ourselves keeps it out of the pool.
    var closesStreams: Bool { self == .llamaCpp }

    /// Most alternatives per token asked for (vLLM's default `--max-logprobs`; OpenAI's limit).
    var maxTopLogprobs: Int { 20 }

    var tokenizePath: String? {
        switch self {
        case .llamaCpp, .vllm: return "/tokenize"
        case .sglang: return "/v1/tokenize"
        case .llamaCppPython: return "/extras/tokenize"
        case .unknown: return "/tokenize"
        case .ollama, .tgi: return nil
        }
    }
}
