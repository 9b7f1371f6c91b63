import Foundation
import PalmtopPrompts

/// The exemplar editor's autosave: `<library>/.NAME.yaml.recovery` holds the prompt as it is being
/// edited, so a crash, a kill or a closed terminal loses nothing. It is written atomically after every
/// change, removed when the prompt is saved or the changes are discarded, and offered back when the
/// prompt is opened again. The leading dot keeps it out of the library's list.
enum RecoveryFile {
    static func path(for promptPath: String) -> String {
        let url = URL(fileURLWithPath: promptPath)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).recovery").path
    }

    static func exists(for promptPath: String) -> Bool { FileManager.default.fileExists(atPath: path(for: promptPath)) }

    /// When the recovery file was last written.
    static func date(for promptPath: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path(for: promptPath)))?[.modificationDate] as? Date
    }

    static func write(_ prompt: PromptFile, for promptPath: String) throws {
        // No backup: every autosave supersedes the one before. A BIG-bench task's autosave may be the
        // first file in a library that does not exist yet.
        try? FileManager.default.createDirectory(atPath: (promptPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try AtomicWriter.write(prompt.yaml(), to: path(for: promptPath), keepBackup: false)
    }

    /// The recovered prompt, belonging to `promptPath`. It is parsed under a placeholder path so the
    /// name check does not apply: after a rename the recovery file moves along and keeps the old name.
    static func load(for promptPath: String) throws -> PromptFile {
        let file = path(for: promptPath)
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw LibraryFileError("\(file): cannot read the recovery file")
        }
        var prompt = try PromptFile.parse(text, path: "<recovery>")
        prompt.path = promptPath
        prompt.name = URL(fileURLWithPath: promptPath).deletingPathExtension().lastPathComponent
        return prompt
    }

    static func remove(for promptPath: String) {
        try? FileManager.default.removeItem(atPath: path(for: promptPath))
    }
}
