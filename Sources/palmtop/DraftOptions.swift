import ArgumentParser
import PalmtopEngine

extension DraftMode: ExpressibleByArgument {}

/// `--draft`, `--draft-max` and `--draft-ngram`: prompt-lookup drafting for greedy generation, which
/// changes only the speed. In-process only: a server decodes by itself.
struct DraftOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Drafting for greedy generation (temperature 0): prompt-lookup (default) guesses the next tokens from an earlier occurrence of the last few in the prompt or reply and verifies them in one pass, with output identical to plain decoding; none decodes one token per pass. In-process models only.", valueName: "none|prompt-lookup"))
    var draft: DraftMode?

    @Option(help: "Most draft tokens verified per pass.")
    var draftMax: Int = PromptLookup().maxDraft

    @Option(help: "Longest n-gram of recent tokens looked up (the shortest is \(PromptLookup().ngramMin), or this if smaller).")
    var draftNgram: Int = PromptLookup().ngramMax

    func validate() throws {
        guard (1...64).contains(draftMax) else { throw ValidationError("--draft-max must be between 1 and 64") }
        guard (1...16).contains(draftNgram) else { throw ValidationError("--draft-ngram must be between 1 and 16") }
    }

    var settings: DraftSettings {
        let defaults = PromptLookup()
        return DraftSettings(mode: draft ?? .promptLookup,
                             lookup: PromptLookup(ngramMin: min(defaults.ngramMin, draftNgram), ngramMax: draftNgram, maxDraft: draftMax))
    }

    /// Asking a server for drafting is refused before connecting, since it would silently do nothing
    /// there (the default, and `none`, are fine anywhere).
    func refuse(server url: String?) throws {
        if url != nil && draft == .promptLookup {
            throw ValidationError("--draft prompt-lookup runs in-process only; a server decodes by itself (leave --draft out with --backend)")
        }
    }

    /// Sets the drafting of an in-process backend (a server has none).
    func apply(to backend: ModelBackend) {
        backend.setDraft(settings)
    }
}
