import Foundation
import PalmtopSampling
import Yams

/// One worked example of a few-shot prompt: field values for the template, and whether it is used.
public struct Exemplar: Sendable, Equatable {
    public var fields: [String: String]
    public var enabled: Bool
    public init(fields: [String: String], enabled: Bool = true) {
        self.fields = fields
        self.enabled = enabled
    }
}

/// How an answer is pulled out of generated text for exact-match scoring.
public enum AnswerExtractor: Sendable, Equatable {
    case lastNumber
    case firstLine
    case regex(String)
}

/// How a prompt's dev set is scored.
public enum ScoringMethod: String, Sendable { case exactMatch = "exact-match", rankChoices = "rank-choices" }

/// Self-consistency (Wang et al., the recipe PaLM's successors use on arithmetic): sample `samples`
/// reasoning chains at `temperature`, extract each answer and take the most common one.
public struct SelfConsistency: Sendable, Equatable {
    public var samples: Int
    public var temperature: Float
    /// The temperature when a file gives none: diverse chains, most of them still sensible.
    public static let defaultTemperature: Float = 0.7

    public init(samples: Int, temperature: Float = SelfConsistency.defaultTemperature) {
        self.samples = samples
        self.temperature = temperature
    }
}

/// complete: plain continuation (base models); chat: rendered through the model's chat template.
public enum PromptMode: String, Sendable { case complete, chat }

/// A few-shot prompt from the library (`prompts/NAME.yaml`): instruction, exemplar template,
/// exemplars, query template, answer extraction, sampling and a dev set.
public struct PromptFile: Sendable, Equatable {
    public var name: String
    public var description: String
    public var model: String
    public var mode: PromptMode
    public var instruction: String?
    public var template: String
    public var separator: String
    public var query: String
    public var exemplars: [Exemplar]
    public var extractor: AnswerExtractor?
    public var sampling: SamplingSettings
    public var scoring: ScoringMethod
    public var choiceTemplate: String
    /// Sample several answers per query and take the majority vote (nil: one answer, as `sampling` says).
    public var selfConsistency: SelfConsistency?
    /// The dev set file, relative to the prompt file, as written.
    public var devPath: String?
    /// Where the prompt was loaded from.
    public var path: String?

    /// Template fields that may appear in `template`.
    public static let exemplarFields = ["input", "reasoning", "output"]
}

/// A problem in a prompt file, with file and line.
public struct PromptFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let line: Int?
    public let message: String
    public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(message)" }
}
