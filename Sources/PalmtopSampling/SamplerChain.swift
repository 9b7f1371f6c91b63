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
    public private(set) var settings: SamplingSettings
    /// Tokens the penalties have seen (primed prompt tokens, then accepted ones), kept so the chain
    /// can be rebuilt with new settings mid-generation without forgetting them.
    private var history: [Int] = []

    public init(_ settings: SamplingSettings) {
        self.settings = settings
        rng = SeededRandom(seed: settings.seed)
        stages = Self.stages(for: settings)
    }

    /// Applies new settings from the next token on: the stages are rebuilt and re-primed with the
    /// history; the random stream continues (a new seed restarts it).
    public mutating func reconfigure(_ new: SamplingSettings) {
        guard new != settings else { return }
        if new.seed != settings.seed { rng = SeededRandom(seed: new.seed) }
        settings = new
        stages = Self.stages(for: new)
        let keep = history
        history = []
        prime(keep)
    }

    private static func stages(for settings: SamplingSettings) -> [any Sampler] {
        settings.order.map { stage -> any Sampler in
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
        remember([token])
    }

    /// Makes the prompt count as history for the penalties: its last `repeat_last_n` tokens, or all
    /// of it for -1 ("the whole context").
    public mutating func prime(_ prompt: [Int]) {
        let tokens = Array(prompt.suffix(settings.repeatLastN < 0 ? prompt.count : settings.repeatLastN))
        for i in stages.indices { if var p = stages[i] as? Penalties { p.prime(tokens); stages[i] = p } }
        remember(tokens)
    }

    public mutating func reset() {
        for i in stages.indices { stages[i].reset() }
        history = []
        rng = SeededRandom(seed: settings.seed)
    }

    private mutating func remember(_ tokens: [Int]) {
        history += tokens
        // -1 keeps everything (the context bounds it); otherwise trim now and then, not per token.
        guard settings.repeatLastN >= 0 else { return }
        let window = max(settings.repeatLastN, 64)
        if history.count > 2 * window + 256 { history.removeFirst(history.count - window) }
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
