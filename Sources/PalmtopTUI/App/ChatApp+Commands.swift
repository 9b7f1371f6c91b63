import Foundation
import PalmtopEngine

/// Slash commands, Tab completion and switching models.
extension ChatApp {
    /// Runs a /command line; problems become one line in the status area.
    func run(_ line: String) {
        do {
            try execute(try SlashCommand.parse(line))
        } catch {
            say("\(error)", .error)
        }
    }

    func execute(_ command: SlashCommand) throws {
        switch command {
        case .help: overlay = HelpOverlay()
        case .quit: quit()
        case .probs(let on):
            showProbabilities = on
            transcriptDirty = true
            say("token probabilities \(on ? "on" : "off")")
        case .draft(let m):
            try requireIdle()
            options.draft.mode = m
            applyDraft()
            let what = m == .none ? "off: one token per pass" : "prompt lookup for greedy replies (same output; the status bar shows the acceptance rate)"
            say(backend.capabilities.drafting ? "drafting \(what)" : "drafting is for in-process models only: a server decodes by itself")
        case .set(let name, let value):
            try SettingsCatalog.set(name, to: value, in: &settings)
            say("\(name) = \(SettingsCatalog.spec(named: name)!.read(settings)) (from the next generation)")
        case .show:
            conversation.notice(showText())
            transcriptDirty = true
            transcript.scrollToBottom()
        case .mode(let m):
            if m == .chat && !backend.supportsChat { throw CommandError("\(backend.modelName) has no chat template; only completion mode") }
            mode = m
            say(m == .chat ? "chat mode: turns go through \(backend.chatTemplate.map { "the \($0.rawValue) template" } ?? "the server's chat template")"
                : "completion mode: the model continues the transcript text (Enter on an empty line continues)")
        case .regen: regenerate()
        case .library: overlay = makeLibraryPanel()
        case .clear:
            try requireIdle()
            conversation = Conversation()
            backend.reset()
            lastSummary = nil
            closeInspector()
            say("conversation cleared")
        case .model(let name):
            try requireIdle()
            try load(model: name)
        case .backend(let target):
            try requireIdle()
            if target == "local" { try load(model: options.localModel) } else { try connect(to: target) }
        case .save(let path):
            let full = Self.expand(path)
            try ConversationFile(model: backend.modelName, mode: mode, settings: settings, probabilities: showProbabilities,
                                 conversation: conversation).save(to: full)
            say("saved \(conversation.turns.count) turns to \(full)")
        case .load(let path):
            try requireIdle()
            let full = Self.expand(path)
            let file = try ConversationFile.load(from: full)
            if file.model == backend.modelName {
                apply(file)
            } else {
                pendingLoad = file
                try load(model: file.model)
            }
        }
    }

    /// Gives the chat's and the library's backends the chosen drafting (called only while no job runs).
    func applyDraft() {
        for backend in [backend, librarySibling].compactMap({ $0 }) { backend.setDraft(options.draft) }
    }

    func requireIdle() throws {
        if worker.isBusy { throw CommandError("still busy — Esc stops the generation first") }
    }

    /// /show: the model, the mode and every setting, as a notice in the transcript.
    func showText() -> String {
        var lines = ["model \(backend.modelName) (\(backend.architecture)), \(mode.rawValue) mode, context \(contextInUse)/\(backend.contextLimit) tokens",
                     "backend \(backend.location)"]
        let ignored = backend.capabilities.ignoredSettings
        let width = SettingsCatalog.names.map(\.count).max() ?? 0
        for spec in SettingsCatalog.all {
            let note = ignored.contains(spec.name) ? "   " + SettingsCatalog.ignoredNote : ""
            lines.append("  " + spec.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + spec.read(settings) + note)
        }
        lines.append(backend.capabilities.drafting ? "draft \(options.draft.mode.rawValue) (greedy replies only)" : "draft: none (a server decodes by itself)")
        return lines.joined(separator: "\n")
    }

    /// Loads a model on the worker thread; the UI keeps running meanwhile.
    func load(model name: String) throws {
        let path: String
        do { path = try ModelStore().resolve(name) } catch { throw CommandError("\(error)") }
        let options = self.options
        say("loading \(name)…")
        worker.start { queue in
            do {
                let m = try Model(path: path, threads: options.threads)
                let local = LocalBackend(model: m, contextLimit: options.contextLimit, prefill: options.prefillPrecision)
                queue.push(.backendReady(local, localModel: name))
            } catch {
                queue.push(.backendFailed("cannot load \(name): \(error)"))
            }
        }
    }

    /// `/backend URL`: connects on the worker thread (the server is asked what it supports), and the
    /// chat continues there once it answers.
    func connect(to url: String) throws {
        guard let connect = options.connect else { throw CommandError("this build has no remote backend") }
        say("connecting to \(url)…")
        worker.start { queue in
            do {
                queue.push(.backendReady(try connect(url), localModel: nil))
            } catch {
                queue.push(.backendFailed("\(error)"))
            }
        }
    }

    /// A backend is ready (a model loaded, a server connected): its own fresh cache, and the
    /// conversation waiting for it, if any.
    func adopt(_ b: ModelBackend, localModel: String?) {
        backend = b
        librarySibling = nil
        applyDraft()
        if let localModel { options.localModel = localModel }
        lastSummary = nil
        if mode == .chat && !b.supportsChat { mode = .complete }
        transcriptDirty = true
        say("\(b.modelName) (\(b.architecture)) ready, \(mode.rawValue) mode — \(b.location)")
        if let file = pendingLoad {
            pendingLoad = nil
            apply(file)
        }
    }

    private func apply(_ file: ConversationFile) {
        conversation = file.conversation
        settings = file.settings
        settings.seed = file.seed
        showProbabilities = file.probabilities
        mode = file.mode == .chat && !backend.supportsChat ? .complete : file.mode
        closeInspector()
        transcript.scrollToBottom()
        transcriptDirty = true
        say("loaded \(file.conversation.turns.count) turns (\(file.model), \(mode.rawValue) mode)")
    }

    /// Tab: completes a /command, a setting name or a value; lists the candidates when several fit.
    func complete() {
        let models = Array(Set(ModelStore.known.map(\.name) + ModelStore().installed().map { $0.deletingPathExtension().lastPathComponent })).sorted()
        let result = SlashCompleter.complete(input.text, models: models)
        input.replace(with: result.line)
        if !result.candidates.isEmpty { say(result.candidates.joined(separator: "  ")) }
    }

    static func expand(_ path: String) -> String { (path as NSString).expandingTildeInPath }

    func makeLibraryPanel() -> Panel { LibraryPanel(host: self) }
}

/// The prompt library's access to the app: its own sequence on the chat's model, the worker, and
/// the overlay slot.
extension ChatApp: LibraryHost {
    public func runLibraryJob(_ job: @escaping (ModelBackend, EventQueue<LibraryEvent>) -> Void) -> Bool {
        let backend = libraryBackend, queue = libraryEvents
        return worker.start { _ in job(backend, queue) }
    }

    public func cancelLibraryJob() { libraryBackend.cancel() }

    public func switchModel(to name: String) {
        do {
            try requireIdle()
            try load(model: name)
        } catch {
            say("\(error)", .error)
        }
    }

    public func present(_ panel: Panel) { overlay = panel }

    public func dismiss() { overlay = nil }

    public func notify(_ text: String, _ kind: StatusMessage.Kind) { say(text, kind) }
}
