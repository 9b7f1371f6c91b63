/// An example formatted as BIG-bench's `default_format_fn` formats it: prefixes added, choices (in the
/// per-example permuted order) appended to the input.
public struct FormattedExample: Sendable {
    /// `input_prefix + input [+ choice_prefix + choice_prefix.join(permuted choices)] + output_prefix`.
    public let input: String
    /// The input between the prefixes: the example's input with the permuted choices appended.
    public let body: String
    public let targets: [String]
    /// Choices in file order (the order they are scored in); nil for a generative example.
    public let choices: [String]?
    public let targetScores: [(choice: String, score: Double)]?
}

/// One query of an n-shot run: the exact text scored or continued, and what it is scored against.
public struct BigBenchQuery: Sendable {
    /// Index of the query in the task's distinct examples.
    public let exampleIndex: Int
    /// Indices of the shots, in prompt order, and the target each was shown with.
    public let shotIndices: [Int]
    public let shotTargets: [String]
    /// `task_prefix` + shots (each its input and one of its targets) + separator + the query's input.
    public let prompt: String
    public let example: FormattedExample
}

extension BigBenchLeaf {
    /// Formats every example; each draws its choice order from a fresh `RandomState(42)`, as BIG-bench does.
    public func formattedExamples(seed: UInt32 = 42) -> [FormattedExample] {
        // A fresh generator per example means the order depends only on the number of choices.
        var orders: [Int: [Int]] = [:]
        return examples.map { e in
            var input = e.input
            if let scores = e.targetScores, appendChoicesToInput {
                let sorted = scores.map(\.choice).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) { $0.value < $1.value } }
                let order = orders[sorted.count] ?? {
                    var rng = NumpyRandomState(seed: seed)
                    let o = rng.permutation(sorted.count)
                    orders[sorted.count] = o
                    return o
                }()
                input += choicePrefix + order.map { sorted[$0] }.joined(separator: choicePrefix)
            }
            return FormattedExample(input: inputPrefix + input + outputPrefix, body: input, targets: e.targets, choices: e.choices,
                                    targetScores: e.targetScores)
        }
    }

    /// The formatted sample as a dict (`input` and `target` replaced, `choice` appended), for Python's `!=`.
    private static func formattedEqualityKey(_ raw: JSONValue, input: String, targets: [String]) -> [UInt8] {
        var members = raw.members ?? []
        func set(_ key: String, _ value: JSONValue) {
            if let i = members.firstIndex(where: { $0.key == key }) { members[i].value = value } else { members.append((key, value)) }
        }
        set("input", .string(input))
        set("target", .array(targets.map { .string($0) }))
        if let scores = raw["target_scores"]?.members { set("choice", .array(scores.map { .string($0.key) })) }
        return JSONValue.object(members).equalityKey
    }

    /// Every example's index in the order `make_nshot_dataset` draws queries when it is given
    /// `max_examples = N`: numpy's `choice(n, N, replace=False)` is the first N of one permutation of
    /// all n, so the first N here are the queries of `queries(shots: K, limit: N)` for every K > 0 and N
    /// (and for K = 0 when N is below the task's size).
    public func queryOrder(seed: UInt32 = 42) -> [Int] {
        var rng = NumpyRandomState(seed: seed)
        return rng.permutation(examples.count)
    }

    /// The queries of a `shots`-shot run limited to `limit` queries, exactly as `make_nshot_dataset` with
    /// `max_examples = min(limit, examples)` builds them: one `RandomState(seed)` for the run; 0-shot keeps
    /// file order unless the limit is smaller than the task; k-shot draws the queries as a permutation
    /// (BIG-bench passes `max_examples` even without a limit), then k shots per query from the other
    /// examples and one target per shot.
    public func queries(shots: Int, limit: Int? = nil, seed: UInt32 = 42) throws -> [BigBenchQuery] {
        let formatted = formattedExamples(seed: seed)
        let n = formatted.count
        let count = min(limit ?? n, n)
        var rng = NumpyRandomState(seed: seed)
        if shots == 0 {
            let order = count < n ? rng.choiceWithoutReplacement(from: n, count: count) : Array(0..<n)
            return order.map { BigBenchQuery(exampleIndex: $0, shotIndices: [], shotTargets: [], prompt: taskPrefix + formatted[$0].input, example: formatted[$0]) }
        }
        guard n >= shots + 1 else {
            throw BigBenchError("\(shots) shots need at least \(shots + 1) distinct examples; the task has \(n)")
        }
        // Equal formatted examples share a class: a shot must differ from the query (`x != sample`).
        var classes: [[UInt8]: Int] = [:]
        let classOf = zip(examples, formatted).map { e, f in
            let key = Self.formattedEqualityKey(e.raw, input: f.input, targets: f.targets)
            if let c = classes[key] { return c }
            classes[key] = classes.count
            return classes.count - 1
        }
        let queryOrder = rng.choiceWithoutReplacement(from: n, count: count)
        return try queryOrder.map { q in
            let pool = (0..<n).filter { classOf[$0] != classOf[q] }
            guard pool.count >= shots else { throw BigBenchError("cannot take a larger sample than population (\(shots) shots, \(pool.count) other examples)") }
            let shotIndices = rng.choiceWithoutReplacement(from: pool.count, count: shots).map { pool[$0] }
            let shotTargets = shotIndices.map { s in formatted[s].targets[rng.choice(from: formatted[s].targets.count)] }
            let context = zip(shotIndices, shotTargets).map { formatted[$0].input + $1 }.joined(separator: separator)
            return BigBenchQuery(exampleIndex: q, shotIndices: shotIndices, shotTargets: shotTargets, prompt: taskPrefix + context + separator + formatted[q].input,
                                 example: formatted[q])
        }
    }
}
