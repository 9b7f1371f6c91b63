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
    /// What joins the instruction to what follows it; nil: `separator`. BIG-bench joins its
    /// `task_prefix` to the first shot with nothing, so a prompt made from a task has "".
    public var instructionSeparator: String?
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
    /// Where the prompt's exemplars and dev set come from when not from this file:
    /// `bigbench:TASK[:SUBTASK]` for a prompt saved from a BIG-bench task (its dev set is the task's).
    public var source: String?
    /// Where the prompt was loaded from.
    public var path: String?

    public init(name: String, description: String, model: String, mode: PromptMode, instruction: String? = nil,
                instructionSeparator: String? = nil, template: String, separator: String, query: String, exemplars: [Exemplar],
                extractor: AnswerExtractor?, sampling: SamplingSettings, scoring: ScoringMethod, choiceTemplate: String = " {choice}",
                selfConsistency: SelfConsistency? = nil, devPath: String? = nil, source: String? = nil, path: String? = nil) {
        self.name = name; self.description = description; self.model = model; self.mode = mode
        self.instruction = instruction; self.instructionSeparator = instructionSeparator
        self.template = template; self.separator = separator; self.query = query; self.exemplars = exemplars
        self.extractor = extractor; self.sampling = sampling; self.scoring = scoring; self.choiceTemplate = choiceTemplate
        self.selfConsistency = selfConsistency; self.devPath = devPath; self.source = source; self.path = path
    }

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
