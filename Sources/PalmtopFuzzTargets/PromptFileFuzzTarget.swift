import PalmtopPrompts

/// One fuzz input as the text of a prompt file. A file that loads must also render, and what the
/// writer makes of it must load back as the same prompt (saving is parse → edit → write → parse).
public enum PromptFileFuzzTarget {
    public static func run(_ bytes: UnsafeRawBufferPointer) {
        if let problem = check(bytes) { fatalError(problem) }
    }

    /// What is wrong with how Palmtop handles this input, or nil (a file that does not load is fine:
    /// the loader refused it). The regression tests call this on the committed crash inputs.
    public static func check(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard let text = String(validating: bytes, as: UTF8.self),
              let prompt = try? PromptFile.parse(text, path: "<fuzz>") else { return nil }
        _ = prompt.renderWithSpans(query: "2 + 2")
        _ = prompt.extractor?.extract("The answer is 4.\nDone")
        let written = prompt.yaml()
        do {
            let reread = try PromptFile.parse(written, path: "<fuzz>")
            if reread != prompt { return "the written prompt reads back differently:\n\(written)" }
        } catch {
            return "the written prompt does not load: \(error)\n\(written)"
        }
        return nil
    }
}
