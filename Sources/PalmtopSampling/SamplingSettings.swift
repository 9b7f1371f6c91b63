/// A stage name in a user-orderable chain.
public enum SamplerStage: String, Codable, Sendable, CaseIterable {
    case penalties, topK = "top_k", topP = "top_p", minP = "min_p", temperature
}

/// Every sampling knob a user can set, saved with conversations and prompt files.
public struct SamplingSettings: Codable, Sendable, Equatable {
    public var temperature: Float = 0.8
    public var topK: Int = 40
    public var topP: Float = 0.95
    public var minP: Float = 0.05
    public var repeatPenalty: Float = 1.0
    public var repeatLastN: Int = 64
    public var presencePenalty: Float = 0
    public var frequencyPenalty: Float = 0
    public var seed: UInt64 = 42
    public var maxTokens: Int = 256
    public var stop: [String] = []
    public var order: [SamplerStage] = SamplerStage.allCases

    public init() {}

    /// Greedy decoding, as the PaLM paper uses for most generation tasks.
    public static var greedy: SamplingSettings { var s = SamplingSettings(); s.temperature = 0; return s }

    enum CodingKeys: String, CodingKey {
        case temperature, topK = "top_k", topP = "top_p", minP = "min_p", repeatPenalty = "repeat_penalty"
        case repeatLastN = "repeat_last_n", presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
        case seed, maxTokens = "max_tokens", stop, order
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SamplingSettings()
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? d.topK
        topP = try c.decodeIfPresent(Float.self, forKey: .topP) ?? d.topP
        minP = try c.decodeIfPresent(Float.self, forKey: .minP) ?? d.minP
        repeatPenalty = try c.decodeIfPresent(Float.self, forKey: .repeatPenalty) ?? d.repeatPenalty
        repeatLastN = try c.decodeIfPresent(Int.self, forKey: .repeatLastN) ?? d.repeatLastN
        presencePenalty = try c.decodeIfPresent(Float.self, forKey: .presencePenalty) ?? d.presencePenalty
        frequencyPenalty = try c.decodeIfPresent(Float.self, forKey: .frequencyPenalty) ?? d.frequencyPenalty
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? d.maxTokens
        stop = try c.decodeIfPresent([String].self, forKey: .stop) ?? d.stop
        order = try c.decodeIfPresent([SamplerStage].self, forKey: .order) ?? d.order
    }

    /// Checks ranges; the message names the setting and the allowed range.
    public func validate() throws {
        func fail(_ m: String) throws { throw SamplingSettingsError(message: m) }
        if !(temperature >= 0) { try fail("temperature must be ≥ 0") }
        if topK < 0 { try fail("top_k must be ≥ 0 (0 disables it)") }
        if !(topP > 0 && topP <= 1) { try fail("top_p must be in (0, 1]") }
        if !(minP >= 0 && minP < 1) { try fail("min_p must be in [0, 1)") }
        if !(repeatPenalty > 0) { try fail("repeat_penalty must be > 0 (1 disables it)") }
        if repeatLastN < -1 { try fail("repeat_last_n must be ≥ -1 (-1 means the whole context)") }
        if maxTokens < 0 { try fail("max_tokens must be ≥ 0") }
        if Set(order).count != order.count { try fail("the sampler order names a stage twice") }
    }

    /// A one-line summary for status bars.
    public var summary: String {
        if temperature == 0 { return "greedy" }
        return "T=\(trim(temperature)) k=\(topK) p=\(trim(topP)) min_p=\(trim(minP))" + (repeatPenalty != 1 ? " rep=\(trim(repeatPenalty))" : "")
    }

    private func trim(_ f: Float) -> String {
        let s = String(format: "%.2f", Double(f))
        return s.hasSuffix("0") ? String(s.dropLast()) : s
    }
}

/// A setting outside its range.
public struct SamplingSettingsError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

import Foundation
