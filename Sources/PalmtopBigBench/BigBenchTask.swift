import Foundation

/// A BIG-bench problem with a task, stated in one line (unknown task, programmatic task, bad file…).
public struct BigBenchError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Metric names BIG-bench's `json_task.py` accepts; any other name makes a task file invalid.
public enum BigBenchMetrics {
    public static let generative = ["bleu", "bleurt", "exact_str_match", "case_insensitive_str_match", "sequence_f1",
                                    "numeric_match_with_0_1_relative_error", "rouge"]
    public static let scoring = ["log_likelihood"]
    public static let multipleChoice = ["multiple_choice_grade", "calibration_multiple_choice_brier_score",
                                        "expected_calibration_error", "weighted_log_probabilities", "weighted_probabilities", "macro_f1"]
    /// The metrics Palmtop computes; the rest are reported as not computed.
    public static let computed = ["multiple_choice_grade", "calibration_multiple_choice_brier_score", "exact_str_match", "case_insensitive_str_match"]
    /// Metrics BIG-bench reports on a 0–100 scale (`results.RENORMALIZED_METRICS`).
    public static let renormalized: Set<String> = ["bleurt", "calibration_multiple_choice_brier_score", "expected_calibration_error",
                                                   "exact_str_match", "case_insensitive_str_match", "multiple_choice_grade",
                                                   "numeric_match_with_0_1_relative_error", "macro_f1"]
    /// Score ranges of preferred metrics (`json_task.SCORE_RANGES`): `low` is chance level unless the
    /// metric is `multiple_choice_grade`, whose chance level comes from the examples.
    static let ranges: [String: (low: Double, high: Double)] = [
        "bleu": (0, 100), "sequence_f1": (0, 100), "bleurt": (-0.1, 1.1), "calibration_multiple_choice_brier_score": (0, 1),
        "expected_calibration_error": (0, 1), "exact_str_match": (0, 1), "case_insensitive_str_match": (0, 1),
        "log_likelihood": (-10, 0), "multiple_choice_grade": (0, 1), "numeric_match_with_0_1_relative_error": (0, 1),
        "rouge1": (0, 100), "rouge2": (0, 100), "rougeLsum": (0, 100), "weighted_log_probabilities": (-10, 0),
        "weighted_probabilities": (-1, 1), "macro_f1": (0, 1),
    ]
}

/// One example of a leaf task as BIG-bench's `default_format_fn` leaves it.
public struct BigBenchExample: Sendable {
    /// The example as the file has it (its `input` unformatted).
    public let raw: JSONValue
    public let input: String
    /// `target` as a list; for a multiple-choice example without one, the first top-scoring choice.
    public let targets: [String]
    /// `target_scores` in file order: the choices, in the order they are scored.
    public let targetScores: [(choice: String, score: Double)]?
    public var choices: [String]? { targetScores?.map(\.choice) }
}

/// A leaf task: its formatting fields with BIG-bench's defaults applied, and its distinct examples.
public struct BigBenchLeaf: Sendable {
    public let metrics: [String]
    public let preferredScore: String
    public let inputPrefix: String
    public let outputPrefix: String
    public let choicePrefix: String
    /// Python truthiness of `append_choices_to_input` (the string `"false"` is true).
    public let appendChoicesToInput: Bool
    public let separator: String
    public let taskPrefix: String
    /// `output_regex`; BIG-bench's default `[^\.\?\!\;\n]+` when neither it nor `stop_string` is given.
    public let outputRegex: String?
    public let stopString: String?
    /// De-duplicated by `json.dumps` text, in file order.
    public let examples: [BigBenchExample]
    public let duplicateCount: Int

    public static let defaultRegex = #"[^\.\?\!\;\n]+"#

    /// The metrics BIG-bench reports for this task: `rouge` as rouge1, rouge2 and rougeLsum, and the
    /// Brier score and calibration error it adds to `multiple_choice_grade`.
    public var reportedMetrics: [String] {
        metrics.flatMap { m -> [String] in
            switch m {
            case "rouge": return ["rouge1", "rouge2", "rougeLsum"]
            case "multiple_choice_grade": return [m, "calibration_multiple_choice_brier_score", "expected_calibration_error"]
            default: return [m]
            }
        }
    }

    public var isMultipleChoice: Bool { metrics.contains { BigBenchMetrics.multipleChoice.contains($0) } }
    public var isGenerative: Bool { metrics.contains { BigBenchMetrics.generative.contains($0) || BigBenchMetrics.scoring.contains($0) } }

    /// The score that means chance (`low_score`): for `multiple_choice_grade` the mean over examples of
    /// the mean target score, otherwise the bottom of the metric's range. On BIG-bench's 0–1 scale.
    public var lowScore: Double {
        if preferredScore == "multiple_choice_grade" {
            let sum = examples.reduce(0.0) { acc, e in
                let scores = e.targetScores ?? []
                return acc + scores.reduce(0) { $0 + $1.score } / Double(max(scores.count, 1))
            }
            return sum / Double(max(examples.count, 1))
        }
        return BigBenchMetrics.ranges[preferredScore]?.low ?? 0
    }
}

/// A BIG-bench JSON task: a leaf with examples, or a container whose subtasks are its subfolders.
public struct BigBenchTask: Sendable {
    /// `parent:child` for a subtask; non-ASCII replaced by `?` as BIG-bench does.
    public let name: String
    public let description: String
    public let keywords: [String]
    public let leaf: BigBenchLeaf?
    public let subtasks: [BigBenchTask]

    public init(name: String, description: String, keywords: [String], leaf: BigBenchLeaf?, subtasks: [BigBenchTask]) {
        self.name = name; self.description = description; self.keywords = keywords; self.leaf = leaf; self.subtasks = subtasks
    }

    /// Every leaf (itself, or its subtasks').
    public var leaves: [BigBenchTask] { leaf != nil ? [self] : subtasks.flatMap(\.leaves) }
    public var exampleCount: Int { leaves.reduce(0) { $0 + ($1.leaf?.examples.count ?? 0) } }
    public var preferredScore: String? {
        let names = Set(leaves.compactMap { $0.leaf?.preferredScore })
        return names.count == 1 ? names.first : (names.isEmpty ? nil : "normalized_aggregate_score")
    }
}

extension BigBenchTask {
    /// Loads `task.json` in `directory`; a file without `examples` is a container whose subtasks are
    /// the `task.json` files of its immediate subfolders, sorted by path as BIG-bench sorts them.
    public static func load(directory: URL, parentName: String? = nil) throws -> BigBenchTask {
        let file = directory.appendingPathComponent("task.json")
        guard let data = FileManager.default.contents(atPath: file.path) else { throw BigBenchError("cannot read \(file.path)") }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw BigBenchError("\(file.path): \(error)") }
        var subdirectories: [URL] = []
        if json["examples"] == nil {
            subdirectories = subtaskDirectories(of: directory)
            if subdirectories.isEmpty { throw BigBenchError("task \(file.path) must have either examples or subtasks") }
        }
        return try decode(json, parentName: parentName) { name in
            try subdirectories.map { try load(directory: $0, parentName: name) }
        }
    }

    /// A container's subtask folders (those holding a `task.json`), sorted by path as BIG-bench sorts them.
    static func subtaskDirectories(of directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let paths = names.map { "\($0)/task.json" }.filter { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
        return paths.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) { $0.value < $1.value } }
            .map { directory.appendingPathComponent(String($0.dropLast("/task.json".count))) }
    }

    /// Builds a task from parsed JSON with `json_task.py`'s checks and defaults; `subtasks` loads a
    /// container's children once its name is known.
    public static func decode(_ json: JSONValue, parentName: String? = nil,
                              subtasks loadSubtasks: (String) throws -> [BigBenchTask] = { _ in [] }) throws -> BigBenchTask {
        guard json.members != nil else { throw BigBenchError("a task must be a JSON object") }
        guard let rawName = json["name"]?.string else { throw BigBenchError("task must have a name") }
        // Python's `encode("ascii", errors="replace")`: one `?` per non-ASCII code point.
        let ownName = String(String.UnicodeScalarView(rawName.unicodeScalars.map { $0.isASCII ? $0 : "?" }))
        let name = parentName.map { "\($0):\(ownName)" } ?? ownName
        for key in ["canary", "name", "description", "keywords"] where json[key] == nil {
            throw BigBenchError("\(name): Task needs a \(key) field.")
        }
        let description = json["description"]?.string ?? ""
        let keywords = json["keywords"]?.array?.compactMap(\.string) ?? []
        if json["examples"] == nil {
            let children = try loadSubtasks(name)
            var seen = Set<String>()
            for child in children where !seen.insert(child.name).inserted {
                throw BigBenchError("in \(name) subtask name \(child.name) is duplicated")
            }
            return BigBenchTask(name: name, description: description, keywords: keywords, leaf: nil, subtasks: children)
        }
        return BigBenchTask(name: name, description: description, keywords: keywords, leaf: try decodeLeaf(json, name: name), subtasks: [])
    }

    private static func decodeLeaf(_ json: JSONValue, name: String) throws -> BigBenchLeaf {
        for key in ["metrics", "examples", "preferred_score"] where json[key] == nil {
            throw BigBenchError("\(name): Task needs a \(key) field.")
        }
        guard let metricValues = json["metrics"]?.array else { throw BigBenchError("\(name): metrics must be a list of names") }
        let metrics = metricValues.compactMap(\.string)
        guard metrics.count == metricValues.count else { throw BigBenchError("\(name): metrics must be a list of names") }
        for metric in metrics where !(BigBenchMetrics.generative + BigBenchMetrics.multipleChoice + BigBenchMetrics.scoring).contains(metric) {
            throw BigBenchError("\(name): Metric \(metric) not supported.")
        }
        guard let preferred = json["preferred_score"]?.string else { throw BigBenchError("\(name): preferred_score must be a string") }
        if preferred == "rouge" { throw BigBenchError("\(name): preferred_score 'rouge' must be 'rouge1', 'rouge2' or 'rougeLsum'") }
        guard BigBenchMetrics.ranges[preferred] != nil else { throw BigBenchError("\(name): unknown preferred_score \(preferred)") }
        func text(_ key: String, _ fallback: String) throws -> String {
            guard let v = json[key] else { return fallback }
            guard let s = v.string else { throw BigBenchError("\(name): \(key) must be a string") }
            return s
        }
        guard let rawExamples = json["examples"]?.array else { throw BigBenchError("\(name): examples must be a list") }
        // De-duplication by json.dumps text, keeping the first of each.
        var seen = Set<[UInt8]>()
        let distinct = rawExamples.filter { seen.insert($0.dumpsKey).inserted }
        let needsScores = metrics.contains { BigBenchMetrics.multipleChoice.contains($0) }
        let needsTarget = metrics.contains { BigBenchMetrics.generative.contains($0) || BigBenchMetrics.scoring.contains($0) }
        let examples = try distinct.enumerated().map { i, raw in
            try decodeExample(raw, index: i, task: name, needsScores: needsScores, needsTarget: needsTarget)
        }
        guard !examples.isEmpty else { throw BigBenchError("\(name): the task has no examples") }
        let stop = json["stop_string"].flatMap { $0.string }
        var regex = json["output_regex"].flatMap { $0.string }
        if json["output_regex"] == nil && json["stop_string"] == nil { regex = BigBenchLeaf.defaultRegex }
        let leaf = BigBenchLeaf(
            metrics: metrics, preferredScore: preferred,
            inputPrefix: try text("example_input_prefix", "\nQ: "), outputPrefix: try text("example_output_prefix", "\nA: "),
            choicePrefix: try text("choice_prefix", "\n  choice: "),
            appendChoicesToInput: json["append_choices_to_input"]?.pythonTruthiness ?? true,
            separator: try text("few_shot_example_separator", "\n"), taskPrefix: try text("task_prefix", ""),
            outputRegex: regex, stopString: stop, examples: examples, duplicateCount: rawExamples.count - distinct.count)
        let high = BigBenchMetrics.ranges[preferred]!.high
        if high <= leaf.lowScore { throw BigBenchError("\(name): high_score \(high) must be > low_score \(leaf.lowScore)") }
        return leaf
    }

    private static func decodeExample(_ raw: JSONValue, index: Int, task: String, needsScores: Bool, needsTarget: Bool) throws -> BigBenchExample {
        let at = "\(task): example \(index + 1)"
        guard raw.members != nil else { throw BigBenchError("Examples must be a list of dictionaries! (\(at))") }
        guard let inputValue = raw["input"], raw["target"] != nil || raw["target_scores"] != nil else {
            throw BigBenchError("Examples missing a target or input field. (\(at))")
        }
        if needsScores && raw["target_scores"] == nil {
            throw BigBenchError("Some sample does not have a target_scores field, required for multiple choice metric. (\(at))")
        }
        if needsTarget && raw["target"] == nil {
            throw BigBenchError("Some sample does not have a target field, required for text-to-text metric. (\(at))")
        }
        guard let input = inputValue.string else { throw BigBenchError("\(at): input must be a string") }
        var scores: [(choice: String, score: Double)]?
        if let ts = raw["target_scores"] {
            guard let members = ts.members else { throw BigBenchError("\(at): target_scores must be an object") }
            scores = try members.map { m in
                guard let s = m.value.double else { throw BigBenchError("\(at): target score for \(m.key.debugDescription) is not a number") }
                return (m.key, s)
            }
        }
        var targets: [String]
        switch raw["target"] {
        case .string(let s)?: targets = [s]
        case .array(let a)?:
            targets = try a.map { v in
                guard let s = v.string else { throw BigBenchError("\(at): targets must be strings") }
                return s
            }
            // numpy's choice of an empty list raises; so does BIG-bench when the example is a shot.
            if targets.isEmpty { throw BigBenchError("\(at): empty target list") }
        case nil:
            let s = scores ?? []
            let maxScore = s.map(\.score).max() ?? 0, minScore = s.map(\.score).min() ?? 0
            if s.isEmpty || (s.count == 1 && maxScore == 0) || (s.count > 1 && maxScore <= minScore) {
                throw BigBenchError("No correct choice provided in example (\(at))")
            }
            targets = [s.first { $0.score == maxScore }!.choice]
        default: throw BigBenchError("\(at): target must be a string or a list of strings")
        }
        return BigBenchExample(raw: raw, input: input, targets: targets, targetScores: scores)
    }
}
