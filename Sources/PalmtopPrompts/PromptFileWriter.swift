import Foundation
import PalmtopSampling

/// Writes files so a crash never leaves a half-written one: a temporary file in the same directory,
/// flushed, then renamed over the target; the previous version is kept as `NAME~`.
public enum AtomicWriter {
    public static func write(_ text: String, to path: String, keepBackup: Bool = true) throws {
        let fm = FileManager.default
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).tmp-\(getpid())"
        guard fm.createFile(atPath: tmp, contents: Data(text.utf8)) else {
            throw PromptFileError(path: path, line: nil, message: "cannot write (permissions or disk full?)")
        }
        if let h = FileHandle(forUpdatingAtPath: tmp) { try? h.synchronize(); try? h.close() }
        if keepBackup && fm.fileExists(atPath: path) {
            try? fm.removeItem(atPath: path + "~")
            try? fm.copyItem(atPath: path, toPath: path + "~")
        }
        guard rename(tmp, path) == 0 else {
            try? fm.removeItem(atPath: tmp)
            throw PromptFileError(path: path, line: nil, message: "cannot replace the file")
        }
    }
}

extension PromptFile {
    /// YAML text in the library's field order, for a prompt that has no file yet (and for recovery
    /// files). Every sampling key that differs from greedy defaults is written, so nothing the loader
    /// accepts is lost.
    public func yaml() -> String {
        let q = YAMLScalarWriter.doubleQuoted
        var y = "name: \(name)\n"
        y += "description: \(q(description))\n"
        y += "model: \(model)\nmode: \(mode.rawValue)\n"
        if let instruction { y += "instruction: \(q(instruction))\n" }
        if let instructionSeparator { y += "instruction_separator: \(q(instructionSeparator))\n" }
        y += "template: \(q(template))\nseparator: \(q(separator))\nquery: \(q(query))\n"
        y += "exemplars:" + (exemplars.isEmpty ? " []" : "") + "\n"
        for e in exemplars {
            var first = true
            for key in Self.exemplarFields where e.fields[key] != nil {
                y += (first ? "  - " : "    ") + "\(key): \(q(e.fields[key]!))\n"
                first = false
            }
            if !e.enabled { y += "    enabled: false\n" }
        }
        if let extractor { y += "extractor:\n" + Self.extractorLines(extractor).map { "  \($0)\n" }.joined() }
        y += "sampling:\n" + Self.samplingLines(sampling).map { "  \($0)\n" }.joined()
        y += "scoring: \(scoring.rawValue)\n"
        if scoring == .rankChoices { y += "choice_template: \(q(choiceTemplate))\n" }
        if let selfConsistency { y += "self_consistency:\n" + Self.selfConsistencyLines(selfConsistency).map { "  \($0)\n" }.joined() }
        if let devPath { y += "dev: \(q(devPath))\n" }
        if let source { y += "source: \(q(source))\n" }
        return y
    }

    static func selfConsistencyLines(_ sc: SelfConsistency) -> [String] {
        ["samples: \(sc.samples)", "temperature: \(number(sc.temperature))"]
    }

    static func extractorLines(_ extractor: AnswerExtractor) -> [String] {
        switch extractor {
        case .lastNumber: return ["kind: last-number"]
        case .firstLine: return ["kind: first-line"]
        case .regex(let p): return ["kind: regex", "pattern: \(YAMLScalarWriter.doubleQuoted(p))"]
        }
    }

    /// A number as YAML text: whole numbers without a decimal point, as people write them.
    static func number(_ f: Float) -> String { f.isFinite && f == f.rounded() && abs(f) < 1e7 ? String(Int(f)) : "\(f)" }

    /// Every sampling key the loader accepts, with its value as YAML text, in the loader's order.
    static func samplingEntries(_ s: SamplingSettings) -> [(key: String, value: String)] {
        return [
            ("temperature", number(s.temperature)), ("top_k", "\(s.topK)"), ("top_p", number(s.topP)), ("min_p", number(s.minP)),
            ("repeat_penalty", number(s.repeatPenalty)), ("repeat_last_n", "\(s.repeatLastN)"),
            ("presence_penalty", number(s.presencePenalty)), ("frequency_penalty", number(s.frequencyPenalty)), ("seed", "\(s.seed)"),
            ("max_tokens", "\(s.maxTokens)"), ("stop", "[" + s.stop.map(YAMLScalarWriter.doubleQuoted).joined(separator: ", ") + "]"),
            ("order", "[" + s.order.map(\.rawValue).joined(separator: ", ") + "]"),
        ]
    }

    /// `key: value` lines for a new sampling block: temperature, max_tokens and stop always, and any
    /// other key whose value is not the loader's default.
    static func samplingLines(_ s: SamplingSettings) -> [String] {
        let defaults = Dictionary(uniqueKeysWithValues: samplingEntries(.greedy).map { ($0.key, $0.value) })
        return samplingEntries(s).filter { ["temperature", "max_tokens", "stop"].contains($0.key) || defaults[$0.key] != $0.value }
            .map { "\($0.key): \($0.value)" }
    }

    /// The text to save: the file at `source` changed only where this prompt differs from what it
    /// holds (comments, layout and untouched keys kept), or a whole new file when there is none or
    /// its layout cannot be patched. Either way it must load back as exactly this prompt.
    func savedText(for path: String, basedOn source: String) throws -> String {
        func loadsBack(_ text: String) -> Bool {
            guard var reparsed = try? PromptFile.parse(text, path: path) else { return false }
            reparsed.path = self.path
            return reparsed == self
        }
        if let original = try? PromptFileLimits.readText(source),
           let before = try? PromptFile.parse(original, path: source),
           let patched = PromptFilePatcher.patch(text: original, from: before, to: self), loadsBack(patched) {
            return patched
        }
        let fresh = yaml()
        _ = try PromptFile.parse(fresh, path: path)  // the usual file:line error for an invalid prompt
        guard loadsBack(fresh) else { throw PromptFileError(path: path, line: nil, message: "cannot write this prompt so that it loads back unchanged") }
        return fresh
    }

    /// Writes atomically with a backup of the previous version. The text is the file at `source`
    /// (default: `path` itself) with only the changed values rewritten, so saving a prompt that was
    /// loaded from a file keeps that file's comments and layout.
    public func save(to path: String, basedOn source: String? = nil) throws {
        try AtomicWriter.write(savedText(for: path, basedOn: source ?? path), to: path)
    }
}
