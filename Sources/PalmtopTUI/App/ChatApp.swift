import Foundation
import PalmtopEngine

/// What the engine thread reports to the UI thread.
enum EngineEvent {
    case token(TokenEvent)
    case finished(GenerationSummary)
    case failed(String)
    /// A backend to switch to; `localModel` names it when it is an in-process model (for `/backend local`).
    case backendReady(ModelBackend, localModel: String?)
    case backendFailed(String)
}

/// How `palmtop chat` starts the REPL.
public struct ChatOptions: Sendable {
    public var mode: ChatMode
    public var contextLimit: Int
    /// Threads of models loaded in the REPL (nil: one per physical core).
    public var threads: Int?
    /// The prompt-pass precision of the chat's sessions (`--prefill`), for every model loaded.
    public var prefillPrecision: PrefillPrecision
    /// Connects `/backend URL` to a server (the executable supplies it; nil: only in-process models).
    public var connect: (@Sendable (String) throws -> ModelBackend)?
    /// The in-process model `/backend local` returns to.
    public var localModel: String
    /// Drafting for greedy replies on in-process models (`--draft`, `/draft`).
    public var draft: DraftSettings

    public init(mode: ChatMode = .chat, contextLimit: Int = 4096, threads: Int? = nil,
                prefillPrecision: PrefillPrecision = .fast, draft: DraftSettings = DraftSettings(),
                localModel: String = "smollm2-135m-instruct", connect: (@Sendable (String) throws -> ModelBackend)? = nil) {
        self.mode = mode
        self.contextLimit = contextLimit
        self.threads = threads
        self.prefillPrecision = prefillPrecision
        self.draft = draft
        self.localModel = localModel
        self.connect = connect
    }
}

/// The REPL's state and its routing of keys: overlays first, then the inspector or the input editor,
/// then the global key table. It never calls curses: it draws on a `Canvas`, and the engine runs on
/// the worker's thread, reporting through its event queue, which `pump` drains.
public final class ChatApp {
    /// The chat's model, in-process or behind a server: the app drives it only through the interface.
    public internal(set) var backend: ModelBackend
    /// The prompt library's own sequence on the same model, so a dev-set run keeps the chat's cache.
    var librarySibling: ModelBackend?
    var libraryBackend: ModelBackend {
        if let b = librarySibling { return b }
        let b = backend.makeSibling()
        librarySibling = b
        return b
    }
    var options: ChatOptions
    let worker = EngineWorker<EngineEvent>()
    /// Events of prompt-library jobs, which run on the same worker.
    let libraryEvents = EventQueue<LibraryEvent>()

    public internal(set) var conversation = Conversation()
    public internal(set) var mode: ChatMode
    public internal(set) var settings = SamplingSettings() {
        // A running generation re-reads these before every token, so a change applies from the next one.
        didSet { live.current = liveSettings(settings) }
    }
    /// What the running generation samples with; see `settings`.
    let live = LiveSettings()
    public internal(set) var showProbabilities = false
    public private(set) var shouldQuit = false

    /// The response being generated: (turn, branch).
    var target: (turn: Int, branch: Int)?
    /// The branch the running (or last) generation writes, for its seed.
    var liveBranch = 0
    var lastSummary: GenerationSummary?
    var promptTokenCount = 0
    var liveTokens = 0
    var firstTokenTime: Date?
    /// A conversation from /load waiting for its model to load.
    var pendingLoad: ConversationFile?

    let transcript = TranscriptPanel()
    public let input = InputPanel()
    let statusBar = StatusBar()
    let hintBar = HintBar()
    var overlay: Panel?
    var inspector: InspectorPanel?
    /// The conversation changed since the transcript's blocks were built.
    var transcriptDirty = true
    /// Tokens in the KV cache when the session was last idle (the session is not read while a job runs).
    private var idleContext = 0

    /// The smallest terminal the layout is made for.
    public static let minimumSize = (cols: 80, rows: 24)

    public init(backend: ModelBackend, options: ChatOptions = ChatOptions()) {
        self.backend = backend
        self.options = options
        mode = options.mode == .chat && !backend.supportsChat ? .complete : options.mode
        if mode != options.mode { hintBar.message = StatusMessage("\(backend.modelName) has no chat template: completion mode", .warning) }
        applyDraft()
    }

    /// The REPL on an in-process model.
    public convenience init(model: Model, options: ChatOptions = ChatOptions()) {
        var options = options
        options.localModel = model.name
        self.init(backend: LocalBackend(model: model, contextLimit: options.contextLimit, prefill: options.prefillPrecision), options: options)
    }

    public var isGenerating: Bool { target != nil }
    public var message: StatusMessage? { hintBar.message }

    func say(_ text: String, _ kind: StatusMessage.Kind = .info) { hintBar.message = StatusMessage(text, kind) }

    // MARK: keys

    public func handle(_ key: Key) -> Effect {
        if key == .resize { return .redraw }
        hintBar.message = nil
        if let panel = overlay {
            let effect = panel.handle(key)
            if effect.contains(.close) { overlay = nil }
            return effect.union(.redraw)
        }
        if let panel = inspector {
            let effect = panel.handle(key)
            if effect.contains(.close) { closeInspector() }
            if effect.contains(.handled) { transcriptDirty = true; return effect.union(.redraw) }
        } else {
            let effect = input.handle(key)
            if effect.contains(.submit) { submit() }
            if effect.contains(.handled) { return effect.union(.redraw) }
        }
        if key == .tab && inspector == nil { complete(); return .consumed }
        guard let action = KeyTable.action(for: key) else { return [.redraw] }
        return perform(action, key: key)
    }

    func perform(_ action: Action, key: Key) -> Effect {
        switch action {
        case .help: overlay = HelpOverlay()
        case .sampling: overlay = makeSamplingPanel()
        case .inspector: openInspector()
        case .library: overlay = makeLibraryPanel()
        case .toggleProbs:
            showProbabilities.toggle()
            transcriptDirty = true
            say("token probabilities \(showProbabilities ? "on" : "off")")
        case .cancel:
            if isGenerating { backend.cancel(); say("stopping…") }
        case .quit:
            quit()
            return [.handled, .quit]
        case .scrollPageUp, .scrollPageDown, .scrollLineUp, .scrollLineDown:
            _ = transcript.handle(key)
        }
        return .consumed
    }

    /// Ctrl-C: stops a generation; otherwise says how to leave.
    public func interrupt() {
        if worker.isBusy {
            backend.cancel()
            (overlay as? ExemplarEditor)?.stopRun()
            say("stopping…")
        } else {
            say("Ctrl-C stops a generation; Ctrl-D on an empty line or /quit leaves", .warning)
        }
    }

    func quit() {
        if isGenerating { backend.cancel() }
        shouldQuit = true
    }

    func makeSamplingPanel() -> SamplingPanel {
        SamplingPanel(read: { [unowned self] in settings }, write: { [unowned self] in settings = $0 },
                      ignored: { [unowned self] in backend.capabilities.ignoredSettings })
    }

    // MARK: inspector

    func openInspector() {
        guard let t = conversation.lastAssistantIndex, !conversation.turns[t].branches.isEmpty else {
            say("nothing to inspect yet: send a message first", .warning)
            return
        }
        inspector = InspectorPanel(subject: { [unowned self] in inspectorSubject() },
                                   onBranch: { [unowned self] in branch(at: $0, alternative: $1) },
                                   onCycle: { [unowned self] in cycleBranch($0) })
        transcriptDirty = true
    }

    func closeInspector() {
        inspector = nil
        transcript.focus = nil
        transcriptDirty = true
    }

    func inspectorSubject() -> InspectorPanel.Subject {
        guard let t = conversation.lastAssistantIndex else { return InspectorPanel.Subject(tokens: []) }
        let turn = conversation.turns[t]
        guard turn.branches.indices.contains(turn.current) else { return InspectorPanel.Subject(tokens: []) }
        let b = turn.branches[turn.current]
        return InspectorPanel.Subject(tokens: b.tokens, branch: turn.current, branchCount: turn.branches.count, forkAt: b.forkAt)
    }

    // MARK: drawing

    public func draw(into canvas: Canvas) {
        canvas.clear()
        let rows = canvas.rows, cols = canvas.cols
        guard cols >= Self.minimumSize.cols, rows >= Self.minimumSize.rows else {
            drawTooSmall(canvas)
            return
        }
        if transcriptDirty {
            let builder = TranscriptBuilder(modelName: backend.modelName, probabilities: showProbabilities,
                                            inspected: inspector.flatMap { i in conversation.lastAssistantIndex.map { ($0, i.cursor) } },
                                            generating: target?.turn)
            let (blocks, focus) = builder.build(conversation)
            transcript.blocks = blocks
            transcript.focus = inspector == nil ? nil : focus
            transcriptDirty = false
        }
        transcript.header = showProbabilities ? ProbabilityBand.legend() : nil
        statusBar.info = statusInfo()
        hintBar.hints = inspector == nil ? HintBar.globalHints : InspectorPanel.hints

        let inputHeight = input.preferredHeight(width: cols)
        let hintRow = rows - 1
        let inputRow = hintRow - inputHeight
        let statusRow = inputRow - 1
        var transcriptHeight = statusRow
        if let inspector {
            let h = InspectorPanel.height
            transcriptHeight -= h
            inspector.draw(into: canvas, rect: Rect(row: transcriptHeight, col: 0, width: cols, height: h))
        }
        transcript.draw(into: canvas, rect: Rect(row: 0, col: 0, width: cols, height: transcriptHeight))
        statusBar.draw(into: canvas, rect: Rect(row: statusRow, col: 0, width: cols, height: 1))
        input.draw(into: canvas, rect: Rect(row: inputRow, col: 0, width: cols, height: inputHeight))
        hintBar.draw(into: canvas, rect: Rect(row: hintRow, col: 0, width: cols, height: 1))
        if inspector != nil { canvas.hideCursor() }
        if let overlay {
            canvas.hideCursor()
            overlay.draw(into: canvas, rect: Rect(row: 0, col: 0, width: cols, height: statusRow))
        }
    }

    private func drawTooSmall(_ canvas: Canvas) {
        let lines = ["Palmtop needs a terminal of at least \(Self.minimumSize.cols)×\(Self.minimumSize.rows).",
                     "This one is \(canvas.cols)×\(canvas.rows): please make it larger.", "(Ctrl-D quits.)"]
        let top = max((canvas.rows - lines.count) / 2, 0)
        for (i, line) in lines.enumerated() {
            let w = DisplayWidth.of(line)
            canvas.put(line, row: top + i, col: max((canvas.cols - w) / 2, 0), role: i == 0 ? .warning : .text)
        }
    }

    /// Tokens in the context now: counted from the stream while generating, read from the session only
    /// when no job can be using it.
    var contextInUse: Int {
        if isGenerating { return promptTokenCount + liveTokens }
        // A server reports no cache: the last reply's prompt and tokens are what the context held.
        if !worker.isBusy { idleContext = backend.contextInUse ?? lastSummary.map { $0.promptTokens + $0.generatedTokens } ?? idleContext }
        return idleContext
    }

    func statusInfo() -> StatusInfo {
        var info = StatusInfo(model: backend.modelName, architecture: backend.architecture, mode: mode, contextUsed: contextInUse,
                              contextLimit: backend.contextLimit, sampler: settings.summary)
        if let s = lastSummary {
            // A server does not say what its cache served: show nothing rather than a made-up 0.
            if backend.capabilities.prefixReuseCounts {
                info.reused = s.reusedTokens
                info.computed = s.computedTokens
            }
            info.prefillRate = s.prefillTokensPerSecond
            info.decodeRate = s.decodeTokensPerSecond
            info.draftAcceptance = s.draft.flatMap { $0.proposed > 0 ? $0.acceptanceRate : nil }
        }
        if isGenerating {
            info.generating = liveTokens
            if let t0 = firstTokenTime, liveTokens > 1 {
                info.decodeRate = Double(liveTokens - 1) / max(Date().timeIntervalSince(t0), 1e-3)
            }
        }
        return info
    }
}
