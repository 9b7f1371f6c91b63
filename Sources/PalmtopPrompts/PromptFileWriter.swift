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
    /// YAML text in the library's field order (block scalars kept readable by quoting).
    public func yaml() -> String {
        func q(_ s: String) -> String {
            var out = "\""
            for ch in s.unicodeScalars {
                switch ch {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                default: out.unicodeScalars.append(ch)
                }
            }
            return out + "\""
        }
        var y = "name: \(name)\n"
        y += "description: \(q(description))\n"
        y += "model: \(model)\nmode: \(mode.rawValue)\n"
        if let instruction { y += "instruction: \(q(instruction))\n" }
        y += "template: \(q(template))\nseparator: \(q(separator))\nquery: \(q(query))\n"
        y += "exemplars:\n"
        for e in exemplars {
            var first = true
            for key in Self.exemplarFields where e.fields[key] != nil {
                y += (first ? "  - " : "    ") + "\(key): \(q(e.fields[key]!))\n"
                first = false
            }
            if !e.enabled { y += "    enabled: false\n" }
        }
        if let extractor {
            switch extractor {
            case .lastNumber: y += "extractor:\n  kind: last-number\n"
            case .firstLine: y += "extractor:\n  kind: first-line\n"
            case .regex(let p): y += "extractor:\n  kind: regex\n  pattern: \(q(p))\n"
            }
        }
        y += "sampling:\n  temperature: \(sampling.temperature)\n  max_tokens: \(sampling.maxTokens)\n"
        y += "  stop: [\(sampling.stop.map(q).joined(separator: ", "))]\n"
        y += "scoring: \(scoring.rawValue)\n"
        if scoring == .rankChoices { y += "choice_template: \(q(choiceTemplate))\n" }
        if let devPath { y += "dev: \(devPath)\n" }
        return y
    }

    /// Validates by re-parsing, then writes atomically with a backup of the previous version.
    public func save(to path: String) throws {
        let text = yaml()
        _ = try PromptFile.parse(text, path: path)
        try AtomicWriter.write(text, to: path)
    }
}
