import Foundation
import PalmtopSampling
import Yams

extension PromptFile {
    /// A library name (the user's prompt of that name, else the shipped one) or a path.
    public static func load(nameOrPath: String) throws -> PromptFile {
        let path: String
        if nameOrPath.hasSuffix(".yaml") || nameOrPath.contains("/") {
            path = nameOrPath
        } else {
            let entries = PromptLibrary.entries()
            guard let entry = entries.first(where: { $0.name == nameOrPath }) else {
                throw PromptFileError(path: nameOrPath, line: nil, message: "no such prompt in the library (known prompts: \(entries.map(\.name).joined(separator: ", ")))")
            }
            path = entry.path
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw PromptFileError(path: path, line: nil, message: "cannot read the prompt file")
        }
        return try parse(PromptFileLimits.readText(path), path: path)
    }

    private static let topLevelKeys: Set<String> = ["name", "description", "model", "mode", "instruction", "instruction_separator", "template", "separator",
                                                     "query", "exemplars", "extractor", "sampling", "scoring", "choice_template", "dev",
                                                     "self_consistency", "source"]
    private static let samplingKeys: Set<String> = ["temperature", "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n",
                                                    "presence_penalty", "frequency_penalty", "seed", "max_tokens", "stop", "order"]

    /// Parses and validates YAML text; every error names the file and, where known, the line.
    public static func parse(_ text: String, path: String) throws -> PromptFile {
        let node: Node
        do {
            try PromptFileLimits.checkNesting(text, path: path)
            guard let n = try Yams.compose(yaml: text) else { throw PromptFileError(path: path, line: nil, message: "the file is empty") }
            node = n
        } catch let e as PromptFileError {
            throw e
        } catch let e as YamlError {
            throw PromptFileError(path: path, line: yamlLine(e), message: "YAML syntax error: \(String(describing: e).split(separator: "\n").first ?? "")")
        }
        try PromptFileLimits.checkSize(node, path: path)
        guard let map = node.mapping else { throw PromptFileError(path: path, line: line(node), message: "the top level must be a mapping") }
        func fail(_ n: Node?, _ m: String) -> PromptFileError { PromptFileError(path: path, line: n.map(line), message: m) }
        for (k, _) in map {
            guard let key = k.string, topLevelKeys.contains(key) else { throw fail(k, "unknown field '\(k.string ?? "?")'") }
        }
        func string(_ key: String, required: Bool = true) throws -> String? {
            guard let n = map[key] else {
                if required { throw fail(node, "missing field '\(key)'") }
                return nil
            }
            guard let s = n.string else { throw fail(n, "'\(key)' must be a string") }
            return s
        }

        let template = try string("template")!
        let query = try string("query")!
        let templateFields = placeholders(in: template)
        for f in templateFields where !exemplarFields.contains(f) { throw fail(map["template"], "template uses unknown field {\(f)} (allowed: \(exemplarFields.joined(separator: ", ")))") }
        for f in placeholders(in: query) where f != "input" { throw fail(map["query"], "query may only use {input}, not {\(f)}") }
        guard placeholders(in: query).contains("input") else { throw fail(map["query"], "query must contain {input}") }

        var exemplars: [Exemplar] = []
        if let list = map["exemplars"] {
            guard let seq = list.sequence else { throw fail(list, "'exemplars' must be a list") }
            for (i, item) in seq.enumerated() {
                guard let m = item.mapping else { throw fail(item, "exemplar \(i + 1) must be a mapping") }
                var fields: [String: String] = [:]
                var enabled = true
                for (k, v) in m {
                    guard let key = k.string else { throw fail(k, "bad key") }
                    if key == "enabled" {
                        guard let b = v.bool else { throw fail(v, "'enabled' must be true or false") }
                        enabled = b
                        continue
                    }
                    guard exemplarFields.contains(key) else { throw fail(k, "exemplar \(i + 1) has unknown field '\(key)'") }
                    guard let s = v.string else { throw fail(v, "exemplar field '\(key)' must be a string") }
                    fields[key] = s
                }
                let needed = templateFields.union(["input", "output"])
                for f in needed.sorted() where fields[f] == nil { throw fail(item, "exemplar \(i + 1) is missing field '\(f)' used by the template") }
                exemplars.append(Exemplar(fields: fields, enabled: enabled))
            }
        }

        guard let scoringName = try string("scoring"), let scoring = ScoringMethod(rawValue: scoringName) else {
            throw fail(map["scoring"], "scoring must be exact-match or rank-choices")
        }
        guard let modeName = try string("mode"), let mode = PromptMode(rawValue: modeName) else {
            throw fail(map["mode"], "mode must be complete or chat")
        }
        var extractor: AnswerExtractor?
        if let e = map["extractor"] {
            guard let m = e.mapping, let kind = m["kind"]?.string else { throw fail(e, "extractor needs a 'kind'") }
            for (k, _) in m where !["kind", "pattern"].contains(k.string ?? "") { throw fail(k, "unknown extractor field '\(k.string ?? "?")'") }
            switch kind {
            case "last-number": extractor = .lastNumber
            case "first-line": extractor = .firstLine
            case "regex":
                guard let pattern = m["pattern"]?.string else { throw fail(e, "a regex extractor needs a 'pattern'") }
                do { _ = try NSRegularExpression(pattern: pattern) } catch { throw fail(m["pattern"], "bad regex '\(pattern)'") }
                extractor = .regex(pattern)
            default: throw fail(m["kind"], "unknown extractor kind '\(kind)' (last-number, first-line, regex)")
            }
        }
        if scoring == .exactMatch && extractor == nil { throw fail(node, "exact-match scoring needs an extractor") }

        var sampling = SamplingSettings.greedy
        if let s = map["sampling"] {
            guard let m = s.mapping else { throw fail(s, "'sampling' must be a mapping") }
            for (k, _) in m where !samplingKeys.contains(k.string ?? "") { throw fail(k, "unknown sampling field '\(k.string ?? "?")'") }
            do {
                let yaml = try Yams.serialize(node: s)
                sampling = try YAMLDecoder().decode(SamplingSettings.self, from: yaml)
                if m["temperature"] == nil { sampling.temperature = 0 }
                try sampling.validate()
            } catch {
                throw fail(s, "bad sampling settings: \(error)")
            }
        }
        var selfConsistency: SelfConsistency?
        if let n = map["self_consistency"] {
            guard let m = n.mapping else { throw fail(n, "'self_consistency' must be a mapping (samples, temperature)") }
            for (k, _) in m where !["samples", "temperature"].contains(k.string ?? "") { throw fail(k, "unknown self_consistency field '\(k.string ?? "?")'") }
            guard let samples = m["samples"]?.int, (1...64).contains(samples) else { throw fail(m["samples"] ?? n, "self_consistency needs 'samples' between 1 and 64") }
            var temperature = SelfConsistency.defaultTemperature
            if let t = m["temperature"] {
                guard let value = t.float, value >= 0 else { throw fail(t, "self_consistency 'temperature' must be a number ≥ 0") }
                temperature = Float(value)
            }
            if scoring != .exactMatch { throw fail(n, "self_consistency applies to exact-match prompts only") }
            selfConsistency = SelfConsistency(samples: samples, temperature: temperature)
        }
        let name = try string("name")!
        let fileName = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        if fileName != name && !path.hasPrefix("<") { throw fail(map["name"], "name '\(name)' does not match the file name '\(fileName)'") }

        return PromptFile(
            name: name, description: try string("description") ?? "", model: try string("model")!, mode: mode,
            instruction: try string("instruction", required: false),
            instructionSeparator: try string("instruction_separator", required: false), template: template,
            separator: try string("separator", required: false) ?? "\n\n", query: query, exemplars: exemplars,
            extractor: extractor, sampling: sampling, scoring: scoring,
            choiceTemplate: try string("choice_template", required: false) ?? " {choice}", selfConsistency: selfConsistency,
            devPath: try string("dev", required: false), source: try string("source", required: false), path: path)
    }

    static func placeholders(in template: String) -> Set<String> {
        var out = Set<String>()
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let name = rest[rest.index(after: open)..<close]
            if !name.isEmpty && name.allSatisfy({ $0.isLetter || $0 == "_" }) { out.insert(String(name)) }
            rest = rest[rest.index(after: close)...]
        }
        return out
    }

    private static func line(_ n: Node) -> Int { (n.mark?.line ?? 0) }

    private static func yamlLine(_ e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }
}
