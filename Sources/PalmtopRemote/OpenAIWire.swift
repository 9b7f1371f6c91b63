import Foundation

/// Any JSON value, for request bodies whose keys depend on the server (`repeat_penalty` on llama.cpp,
/// `repetition_penalty` on vLLM) and for fields read loosely.
public enum JSONValue: Codable, Equatable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) { self = .string(s) } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            // Integers as integers: servers that parse `max_tokens` as an int refuse 16.0.
            if n == n.rounded() && abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    subscript(key: String) -> JSONValue? { if case .object(let o) = self { return o[key] } else { return nil } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var int: Int? { if case .number(let n) = self { return Int(exactly: n.rounded()) } else { return nil } }
}

/// `GET /v1/models`.
struct ModelList: Decodable {
    struct Entry: Decodable {
        var id: String
        var owned_by: String?
        /// vLLM's context length.
        var max_model_len: Int?
    }
    var data: [Entry]
}

/// One generated token's log-probability in the chat shape (`logprobs.content[]`), which llama.cpp's
/// server also uses on `/v1/completions`.
struct TokenLogprob: Decodable {
    struct Alternative: Decodable {
        var id: Int?
        var token: String
        var bytes: [UInt8]?
        var logprob: Double
    }
    var id: Int?
    var token: String
    var bytes: [UInt8]?
    var logprob: Double
    var top_logprobs: [Alternative]?
}

/// A choice's `logprobs`: the chat shape (`content`) or the legacy completions arrays.
struct Logprobs: Decodable {
    var content: [TokenLogprob]?
    var tokens: [String]?
    var token_logprobs: [Double?]?
    var top_logprobs: [[String: Double]?]?
}

/// A completion or chat completion, streamed as chunks or whole.
struct CompletionResponse: Decodable {
    struct Choice: Decodable {
        struct Message: Decodable { var content: String? }
        var text: String?
        var delta: Message?
        var message: Message?
        var logprobs: Logprobs?
        var finish_reason: String?
        /// vLLM's `return_token_ids`.
        var token_ids: [Int]?
        /// vLLM's `prompt_logprobs`: per prompt position, the prompt token's entry keyed by id (first null).
        var prompt_logprobs: [[String: PromptLogprob]?]?
    }
    struct PromptLogprob: Decodable {
        var logprob: Double
        var decoded_token: String?
    }
    struct Usage: Decodable {
        var prompt_tokens: Int?
        var completion_tokens: Int?
    }
    var choices: [Choice]
    var usage: Usage?
}

/// The error bodies servers send: OpenAI's and llama.cpp's `{"error": {"message"}}`, vLLM's
/// `{"object": "error", "message"}`, and plain `{"detail"}` (FastAPI).
struct ErrorBody: Decodable {
    struct Detail: Decodable { var message: String? }
    var error: Detail?
    var message: String?
    var detail: String?

    var text: String? { error?.message ?? message ?? detail }

    /// Some servers send `"error": "text"`.
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let s = try? c.decode(String.self, forKey: .error) { error = Detail(message: s) } else { error = try? c.decode(Detail.self, forKey: .error) }
        message = try? c.decode(String.self, forKey: .message)
        detail = try? c.decode(String.self, forKey: .detail)
    }

    enum CodingKeys: String, CodingKey { case error, message, detail }
}
