import Foundation

/// xoshiro256** seeded through SplitMix64: small, fast and identical on every platform, so the same
/// seed, settings and prompt give the same tokens.
public struct SeededRandom: Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func next() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (next(), next(), next(), next())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3; s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

/// The stages of `SamplingSettings` in the user's order. Applying it yields the post-chain candidates;
/// `sample` draws one of them.
public struct SamplerChain: Sendable {
    public private(set) var stages: [any Sampler]
    private var rng: SeededRandom
    public let settings: SamplingSettings

    public init(_ settings: SamplingSettings) {
        self.settings = settings
        rng = SeededRandom(seed: settings.seed)
        stages = settings.order.map { stage -> any Sampler in
            switch stage {
            case .penalties: return Penalties(repetition: settings.repeatPenalty, presence: settings.presencePenalty,
                                              frequency: settings.frequencyPenalty, lastN: settings.repeatLastN)
            case .topK: return TopK(settings.topK)
            case .topP: return TopP(settings.topP)
            case .minP: return MinP(settings.minP)
            case .temperature: return Temperature(settings.temperature)
            }
        }
    }

    public mutating func apply(_ c: inout Candidates) {
        for i in stages.indices { stages[i].apply(&c) }
    }

    public mutating func accept(_ token: Int) {
        for i in stages.indices { stages[i].accept(token) }
    }

    /// Makes the prompt count as history for the penalties.
    public mutating func prime(_ tokens: [Int]) {
        for i in stages.indices { if var p = stages[i] as? Penalties { p.prime(tokens); stages[i] = p } }
    }

    public mutating func reset() {
        for i in stages.indices { stages[i].reset() }
        rng = SeededRandom(seed: settings.seed)
    }

    /// Draws an index into `c` from its softmax.
    public mutating func sample(_ c: Candidates) -> Int {
        guard c.count > 1 else { return 0 }
        let probs = c.probabilities()
        let u = rng.unit()
        var cumulative = 0.0
        for (i, p) in probs.enumerated() {
            cumulative += Double(p)
            if u < cumulative { return i }
        }
        return probs.count - 1
    }
}
