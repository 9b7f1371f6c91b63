import Foundation
import PalmtopEngine

/// One sampler setting as `/set` and the sampling panel know it: its name, what it does, how to show,
/// parse and nudge its value.
public struct SettingSpec {
    public let name: String
    public let explanation: String
    public let read: (SamplingSettings) -> String
    let write: (inout SamplingSettings, String) throws -> Void
    /// Changes the value by `steps` increments (negative for down), clamped to its range.
    public let nudge: (inout SamplingSettings, Int) -> Void

    static func float(_ name: String, _ path: WritableKeyPath<SamplingSettings, Float>, step: Float,
                      _ range: ClosedRange<Float>, _ explanation: String) -> SettingSpec {
        SettingSpec(name: name, explanation: explanation, read: { SettingsCatalog.format($0[keyPath: path]) },
                    write: { s, v in
                        guard let f = Float(v), f.isFinite else { throw CommandError("\(name) needs a number, not '\(v)'") }
                        s[keyPath: path] = f
                    },
                    nudge: { s, n in
                        let stepped = ((s[keyPath: path] + Float(n) * step) / step).rounded() * step
                        s[keyPath: path] = min(max(stepped, range.lowerBound), range.upperBound)
                    })
    }

    static func int(_ name: String, _ path: WritableKeyPath<SamplingSettings, Int>, step: Int,
                    _ range: ClosedRange<Int>, _ explanation: String) -> SettingSpec {
        SettingSpec(name: name, explanation: explanation, read: { String($0[keyPath: path]) },
                    write: { s, v in
                        guard let i = Int(v) else { throw CommandError("\(name) needs a whole number, not '\(v)'") }
                        s[keyPath: path] = i
                    },
                    nudge: { s, n in s[keyPath: path] = min(max(s[keyPath: path] + n * step, range.lowerBound), range.upperBound) })
    }
}

/// Named starting points for the sampling panel.
public enum SamplingPreset: String, CaseIterable, Sendable {
    case greedy, code, balanced, creative

    public var explanation: String {
        switch self {
        case .greedy: return "always the most likely token (T=0), as the PaLM paper decodes most tasks"
        case .code: return "T=0.8, top-p 0.95: the PaLM paper's sampling for code (pass@k)"
        case .balanced: return "T=0.7, top-k 40, top-p 0.9, min-p 0.05, mild repetition penalty"
        case .creative: return "T=1.1, top-p 0.98, min-p 0.02: varied, sometimes odd"
        }
    }

    /// The preset over `s`: seed, length, stop sequences and the chain order are kept.
    public func apply(to s: SamplingSettings) -> SamplingSettings {
        var out = s
        (out.temperature, out.topK, out.topP, out.minP, out.repeatPenalty) = {
            switch self {
            case .greedy: return (0, 40, 0.95, 0.05, 1)
            case .code: return (0.8, 0, 0.95, 0, 1)
            case .balanced: return (0.7, 40, 0.9, 0.05, 1.1)
            case .creative: return (1.1, 0, 0.98, 0.02, 1)
            }
        }()
        out.presencePenalty = 0
        out.frequencyPenalty = 0
        return out
    }
}

/// Every sampler setting by name, shared by `/set`, `/show` and the sampling panel.
public enum SettingsCatalog {
    /// How `/show` and the sampling panel mark a setting the backend does not take (the names in
    /// `BackendCapabilities.ignoredSettings`, which each server kind states once).
    public static let ignoredNote = "(ignored by this server)"

    public static let all: [SettingSpec] = [
        .float("temperature", \.temperature, step: 0.05, 0...5, "randomness; 0 is greedy, 1 samples the model's own distribution"),
        .int("top_k", \.topK, step: 5, 0...1000, "keep only the k most likely tokens (0 = off)"),
        .float("top_p", \.topP, step: 0.01, 0.01...1, "keep the smallest set of tokens whose probability reaches p"),
        .float("min_p", \.minP, step: 0.01, 0...0.99, "drop tokens less likely than min_p × the best token"),
        .float("repeat_penalty", \.repeatPenalty, step: 0.05, 0.05...5, "divide the logits of recently seen tokens (1 = off)"),
        .int("repeat_last_n", \.repeatLastN, step: 16, -1...8192, "how many recent tokens the penalties look at (-1 = all)"),
        .float("presence_penalty", \.presencePenalty, step: 0.1, -2...2, "subtract from the logit of any token already seen"),
        .float("frequency_penalty", \.frequencyPenalty, step: 0.1, -2...2, "subtract per occurrence of a token already seen"),
        SettingSpec(name: "seed", explanation: "random seed: the same seed and settings give the same text",
                    read: { String($0.seed) },
                    write: { s, v in
                        guard let n = UInt64(v) else { throw CommandError("seed needs a whole number ≥ 0, not '\(v)'") }
                        s.seed = n
                    },
                    nudge: { s, n in s.seed = n < 0 ? (s.seed == 0 ? 0 : s.seed - 1) : s.seed &+ UInt64(n) }),
        .int("max_tokens", \.maxTokens, step: 32, 1...65536, "longest response, in tokens"),
        SettingSpec(name: "stop", explanation: "stop sequences, separated by | (\\n is a newline); not shown",
                    read: { formatStops($0.stop) }, write: { s, v in s.stop = parseStops(v) }, nudge: { _, _ in }),
        SettingSpec(name: "order", explanation: "the sampler chain, applied left to right",
                    read: { $0.order.map(\.rawValue).joined(separator: ",") },
                    write: { s, v in s.order = try parseOrder(v) }, nudge: { _, _ in }),
    ]

    public static var names: [String] { all.map(\.name) }

    public static func spec(named name: String) -> SettingSpec? { all.first { $0.name == name } }

    /// Sets a setting from text, keeping `settings` unchanged when the value is bad or out of range.
    public static func set(_ name: String, to value: String, in settings: inout SamplingSettings) throws {
        guard let spec = spec(named: name) else {
            throw CommandError("unknown setting '\(name)' (one of: \(names.joined(separator: ", ")))")
        }
        var candidate = settings
        try spec.write(&candidate, value)
        do { try candidate.validate() } catch { throw CommandError("\(error)") }
        settings = candidate
    }

    /// A number as short as it can be without losing what was typed (0.95, not 0.949999988).
    static func format(_ f: Float) -> String {
        var s = String(format: "%.3f", Double(f))
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// `a|b\nc` → ["a", "b\nc"]; `\|` is a literal bar. An empty value clears the list.
    static func parseStops(_ v: String) -> [String] {
        var out: [String] = [], current = ""
        var chars = v.makeIterator()
        while let c = chars.next() {
            if c == "\\", let n = chars.next() {
                switch n {
                case "n": current += "\n"
                case "t": current += "\t"
                default: current.append(n)
                }
            } else if c == "|" {
                out.append(current.trimmingCharacters(in: .whitespaces)); current = ""
            } else {
                current.append(c)
            }
        }
        out.append(current.trimmingCharacters(in: .whitespaces))
        return out.filter { !$0.isEmpty }
    }

    static func formatStops(_ stops: [String]) -> String {
        stops.map { $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t") }.joined(separator: " | ")
    }

    static func parseOrder(_ v: String) throws -> [SamplerStage] {
        let names = v.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        return try names.map { n in
            guard let stage = SamplerStage(rawValue: n) else {
                throw CommandError("unknown sampler '\(n)' (\(SamplerStage.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return stage
        }
    }
}
