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
        case .set(let name, let value):
            try SettingsCatalog.set(name, to: value, in: &settings)
            say("\(name) = \(SettingsCatalog.spec(named: name)!.read(settings)) (from the next generation)")
        case .show:
            conversation.notice(showText())
            transcriptDirty = true
            transcript.scrollToBottom()
        case .mode(let m):
            if m == .chat && model.chatTemplate == nil { throw CommandError("\(model.name) has no chat template; only completion mode") }
            mode = m
            say(m == .chat ? "chat mode: turns go through the \(model.chatTemplate!.rawValue) template"
                : "completion mode: the model continues the transcript text (Enter on an empty line continues)")
        case .regen: regenerate()
        case .library: overlay = makeLibraryPanel()
        case .clear:
            try requireIdle()
            conversation = Conversation()
            session.reset()
            lastSummary = nil
            closeInspector()
            say("conversation cleared")
        case .model(let name):
            try requireIdle()
            try load(model: name)
        case .save(let path):
            let full = Self.expand(path)
            try ConversationFile(model: model.name, mode: mode, settings: settings, probabilities: showProbabilities,
                                 conversation: conversation).save(to: full)
            say("saved \(conversation.turns.count) turns to \(full)")
        case .load(let path):
            try requireIdle()
            let full = Self.expand(path)
            let file = try ConversationFile.load(from: full)
            if file.model == model.name {
                apply(file)
            } else {
                pendingLoad = file
                try load(model: file.model)
            }
        }
    }

    func requireIdle() throws {
        if worker.isBusy { throw CommandError("still busy — Esc stops the generation first") }
    }

    /// /show: the model, the mode and every setting, as a notice in the transcript.
    func showText() -> String {
        var lines = ["model \(model.name) (\(model.config.architecture)), \(mode.rawValue) mode, context \(contextInUse)/\(session.contextLimit) tokens"]
        let width = SettingsCatalog.names.map(\.count).max() ?? 0
        for spec in SettingsCatalog.all {
            lines.append("  " + spec.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + spec.read(settings))
        }
        return lines.joined(separator: "\n")
    }

    /// Loads a model on the worker thread; the UI keeps running meanwhile.
    func load(model name: String) throws {
        let path: String
        do { path = try ModelStore().resolve(name) } catch { throw CommandError("\(error)") }
        let threads = options.threads
        say("loading \(name)…")
        worker.start { queue in
            do {
                let m = try Model(path: path, threads: threads)
                queue.push(.modelLoaded(m))
            } catch {
                queue.push(.modelFailed("cannot load \(name): \(error)"))
            }
        }
    }

    /// A model finished loading: a fresh session, and the conversation waiting for it, if any.
    func adopt(_ m: Model) {
        model = m
        session = Session(model: m, contextLimit: options.contextLimit, prefill: options.prefillPrecision)
        lastSummary = nil
        if mode == .chat && m.chatTemplate == nil { mode = .complete }
        transcriptDirty = true
        say("\(m.name) (\(m.config.architecture)) loaded in \(String(format: "%.2f", m.loadSeconds)) s, \(mode.rawValue) mode")
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
        mode = file.mode == .chat && model.chatTemplate == nil ? .complete : file.mode
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

/// The prompt library's access to the app: its model, its worker and session, and its overlay slot.
extension ChatApp: LibraryHost {
    public func runLibraryJob(_ job: @escaping (Session, EventQueue<LibraryEvent>) -> Void) -> Bool {
        let session = self.session, queue = libraryEvents
        return worker.start { _ in job(session, queue) }
    }

    public func cancelLibraryJob() { session.cancel() }

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
