import PalmtopPrompts

/// One fuzz input as the text of a dev set, read under both scoring methods (they check different fields).
public enum DevSetFuzzTarget {
    public static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        for scoring in [ScoringMethod.exactMatch, .rankChoices] {
            _ = try? PromptFile.parseDevSet(text, path: "<fuzz>", scoring: scoring)
        }
    }
}
