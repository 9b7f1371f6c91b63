import Foundation
import PalmtopPrompts

/// The library browser's file operations in the user's library: new prompt from a template,
/// duplicate (also of a shipped template), rename, delete. Every write goes through
/// `PromptFile.save` (validated, atomic, lossless); nothing is removed outright — a deleted prompt
/// becomes its backup `NAME.yaml~`.
struct LibraryFiles {
    let directory: URL

    func path(_ name: String) -> String { directory.appendingPathComponent("\(name).yaml").path }

    /// Why `name` cannot be a new prompt's name, or nil when it can. Names become file names, so they
    /// are kept to letters, digits, `-`, `_` and `.`, and may not start with a dot (hidden files).
    func problem(withNewName name: String) -> String? {
        if name.isEmpty { return "a prompt needs a name" }
        if name.hasPrefix(".") || !name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) {
            return "use letters, digits, - _ and . in a prompt name (not '\(name)')"
        }
        if FileManager.default.fileExists(atPath: path(name)) { return "\(name).yaml already exists" }
        return nil
    }

    /// A minimal valid prompt to start from: one input → output exemplar, first-line answers. Kept as
    /// YAML, the form users write, so it goes through the same validation as every library file.
    static func template(name: String) -> String {
        """
        name: \(name)
        description: "A new prompt: say what the task is and what to expect from the default models."
        model: gemma-3-270m
        mode: complete
        template: "Input: {input}\\nOutput: {output}"
        separator: "\\n\\n"
        query: "Input: {input}\\nOutput:"
        exemplars:
          - input: "an example input"
            output: "its output"
        extractor:
          kind: first-line
        sampling:
          temperature: 0
          max_tokens: 32
          stop: ["\\n"]
        scoring: exact-match

        """
    }

    func create(_ name: String) throws {
        try checked(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try PromptFile.parse(Self.template(name: name), path: path(name)).save(to: path(name))
    }

    /// A copy under a new name of the prompt at `source`: it shares the original's dev set file, which
    /// is copied along when the original is not in this library.
    func duplicate(_ source: String, as newName: String) throws {
        try checked(newName)
        var prompt = try PromptFile.load(nameOrPath: source)
        prompt.name = newName
        try PromptLibrary.save(prompt, from: source, to: path(newName))
    }

    /// Writes the prompt under its new name before the old file goes, so a failure leaves the old one.
    /// An autosaved recovery file moves along.
    func rename(_ name: String, to newName: String) throws {
        try checked(newName)
        var prompt = try PromptFile.load(nameOrPath: path(name))
        prompt.name = newName
        try prompt.save(to: path(newName), basedOn: path(name))
        try FileManager.default.removeItem(atPath: path(name))
        if RecoveryFile.exists(for: path(name)) {
            try? FileManager.default.moveItem(atPath: RecoveryFile.path(for: path(name)), toPath: RecoveryFile.path(for: path(newName)))
        }
    }

    /// Moves the file to `NAME.yaml~` (replacing an older backup) and drops its recovery file; the dev
    /// set stays, since duplicates may share it.
    func delete(_ name: String) throws {
        let file = path(name)
        try? FileManager.default.removeItem(atPath: file + "~")
        try FileManager.default.moveItem(atPath: file, toPath: file + "~")
        RecoveryFile.remove(for: file)
    }

    private func checked(_ name: String) throws {
        if let problem = problem(withNewName: name) { throw LibraryFileError(problem) }
    }
}

/// Why a library file operation or a recovery file failed, in words for the status line.
struct LibraryFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
