import Foundation
import PalmtopBigBench
import PalmtopEngine
import PalmtopPrompts

/// The exemplar editor for one library prompt: add, delete, reorder, toggle and edit exemplars,
/// preview the assembled prompt with each span marked by its source, run a query with the prompt's own
/// sampling, run the dev set (per-item results with per-choice log-probabilities, accuracy, and
/// "before → after" when the exemplars changed since the last run), and save the file atomically.
/// Every change is autosaved to a recovery file, offered back when the prompt is opened again. Runs go
/// through the app's session, so an edit recomputes only the tokens after the first changed one.
/// `l` runs the dev set once per exemplar with that exemplar left out and shows each one's effect.
/// A BIG-bench task opens here as a live prompt: its dev set and score are the task's (`+` and `-`
/// choose how many of its other examples a run scores), and `s` saves it as a new library prompt
/// naming the task as its `source`.
/// Runs, saving and drawing live in the `ExemplarEditor+…` files.
public final class ExemplarEditor: Panel {
    enum Focus: Equatable { case list, query, field }
    /// What the area below the query line shows.
    enum View: Equatable { case output, preview, results }

    unowned let host: LibraryHost
    public internal(set) var prompt: PromptFile
    /// The prompt as it is on disk (when opened, or at the last save); the changes are the difference.
    var saved: PromptFile
    /// What the recovery file holds, when this editor wrote or restored one.
    var autosaved: PromptFile?
    public internal(set) var selected = 0
    var focus = Focus.list
    var view = View.output
    /// First row of the preview or results shown.
    var scroll = 0
    /// Keep the last results in view while a dev-set run adds them (until PgUp/PgDn scrolls).
    var followEnd = false
    var query = TextBuffer()
    var field = TextBuffer()
    var fieldIndex = 0
    /// A y/n question that takes every key until it is answered.
    var confirmation: Confirmation?
    /// The name being typed to save a BIG-bench task as a library prompt.
    var nameField: NameField?
    /// The BIG-bench task the prompt comes from: given when the library opens a task, loaded from the
    /// store on the first run for a saved prompt whose `source` names one.
    var bigBench: BigBenchLivePrompt?
    /// The last leave-one-out run, shown beside the exemplars while they are as it ran them.
    var ablation: AblationRun?
    public internal(set) var output = ""
    public internal(set) var answer: String?
    /// How much of the last query's prompt came from the KV cache.
    var queryNote = ""
    public internal(set) var results: [EvalItemResult] = []
    public internal(set) var accuracyLine: String?
    /// The finished dev-set run's prompt tokens served by the KV cache and computed.
    var tokenNote: String?
    var devTotal = 0
    var lastRun: (exemplars: [Exemplar], score: DevScore)?
    var running = false
    let stop = StopFlag()

    /// `bigBench`: the task `prompt` was just made from (a prompt with no file yet).
    public init(host: LibraryHost, prompt: PromptFile, bigBench: BigBenchLivePrompt? = nil) {
        self.host = host
        self.prompt = prompt
        self.bigBench = bigBench
        saved = prompt
        if let path = recoveryKey, RecoveryFile.exists(for: path) { offerRecovery(path) }
    }

    /// The file the recovery file belongs to: where a save will write (for a shipped template, its
    /// copy in the user's library, since the shipped folder is read-only). A BIG-bench task not yet
    /// saved autosaves under its reference in the user's library (`.bigbench:TASK.yaml.recovery`).
    var recoveryKey: String? {
        if let path = prompt.path { return PromptLibrary.saveTarget(for: path) }
        return prompt.source.map { PromptLibrary.userDirectory().appendingPathComponent("\($0).yaml").path }
    }

    /// The fields the template uses, in the order the editor walks them.
    var fieldNames: [String] { PromptFile.exemplarFields.filter { prompt.template.contains("{\($0)}") || $0 == "output" } }

    /// The prompt as the user sees it, including the field being typed.
    var working: PromptFile {
        guard focus == .field, prompt.exemplars.indices.contains(selected) else { return prompt }
        var p = prompt
        p.exemplars[selected].fields[fieldNames[fieldIndex]] = field.text
        return p
    }

    /// Whether the editor holds changes that are not in the file.
    public var isModified: Bool { working != saved }
    /// Editing a shipped template: a save writes a copy into the user's library.
    var isShipped: Bool { prompt.path.map { PromptLibrary.isShipped($0) } ?? false }

    public func handle(_ key: Key) -> Effect {
        let effect: Effect
        if let question = confirmation {
            confirmation = nil
            if !question.answer(key) { confirmation = question }
            effect = .consumed
        } else if var field = nameField {
            nameField = field.handle(key) ? field : nil
            effect = .consumed
        } else {
            switch focus {
            case .field: effect = editField(key)
            case .query: effect = editQuery(key)
            case .list: effect = handleList(key)
            }
        }
        autosave()
        return effect
    }

    private func handleList(_ key: Key) -> Effect {
        switch key {
        case .escape:
            if running { stopRun(); return .consumed }
            leave { [unowned self] in host.present(LibraryPanel(host: host, selecting: prompt.path ?? prompt.source)) }
        case .function(4):
            guard isModified else { return [.handled, .redraw, .close] }
            leave { [unowned self] in host.dismiss() }
        case .up: selected = max(selected - 1, 0)
        case .down: selected = min(selected + 1, max(prompt.exemplars.count - 1, 0))
        case .char(" "):
            guard prompt.exemplars.indices.contains(selected) else { break }
            prompt.exemplars[selected].enabled.toggle()
        case .char("e"), .enter: beginEditing()
        case .char("a"): addExemplar()
        case .char("x"), .delete: askToDelete()
        case .char("["): move(by: -1)
        case .char("]"): move(by: 1)
        case .tab, .char("/"): focus = .query
        case .char("d"): runDevSet()
        case .char("+"), .char("="): resizeDevSet(larger: true)
        case .char("-"): resizeDevSet(larger: false)
        case .char("l"): runAblation()
        case .char("p"): show(.preview)
        case .char("r"): show(.results)
        case .pageUp: followEnd = false; scroll = max(scroll - 10, 0)
        case .pageDown: followEnd = false; scroll += 10
        case .char("s"): save()
        case .char("m"): host.switchModel(to: prompt.model)
        default: return [.handled]
        }
        return .consumed
    }

    private func editQuery(_ key: Key) -> Effect {
        switch key {
        case .tab, .escape: focus = .list
        case .enter: runQuery()
        default: edit(&query, key)
        }
        return .consumed
    }

    private func editField(_ key: Key) -> Effect {
        switch key {
        case .escape: focus = .list
        case .tab:
            storeField()
            fieldIndex = (fieldIndex + 1) % fieldNames.count
            field = TextBuffer(prompt.exemplars[selected].fields[fieldNames[fieldIndex]] ?? "")
        case .enter:
            storeField()
            focus = .list
        default: edit(&field, key)
        }
        return .consumed
    }

    private func storeField() { prompt = working }

    private func edit(_ buffer: inout TextBuffer, _ key: Key) {
        switch key {
        case .ctrl("j"), .altEnter: buffer.insert("\n")
        default: _ = buffer.applyEditingKey(key)
        }
    }

    // MARK: exemplar list

    private func beginEditing() {
        guard prompt.exemplars.indices.contains(selected) else { return }
        focus = .field
        fieldIndex = 0
        field = TextBuffer(prompt.exemplars[selected].fields[fieldNames[0]] ?? "")
    }

    /// A blank exemplar after the selected one, opened for editing. It gets every field the loader
    /// requires ({input} always, the template's own fields), so the file still loads when saved half-done.
    private func addExemplar() {
        let at = prompt.exemplars.isEmpty ? 0 : selected + 1
        let names = Set(fieldNames + ["input"])
        prompt.exemplars.insert(Exemplar(fields: Dictionary(uniqueKeysWithValues: names.map { ($0, "") })), at: at)
        selected = at
        beginEditing()
    }

    private func askToDelete() {
        guard prompt.exemplars.indices.contains(selected) else { return }
        let i = selected
        confirmation = Confirmation("delete exemplar \(i + 1) (\(Self.summary(prompt.exemplars[i])))?") { [unowned self] in
            prompt.exemplars.remove(at: i)
            selected = min(selected, max(prompt.exemplars.count - 1, 0))
        }
    }

    private func move(by step: Int) {
        let target = selected + step
        guard prompt.exemplars.indices.contains(selected), prompt.exemplars.indices.contains(target) else { return }
        prompt.exemplars.swapAt(selected, target)
        selected = target
    }

    /// p and r switch the lower area to the preview or the results; the same key again goes back to
    /// the query output.
    private func show(_ v: View) {
        view = view == v ? .output : v
        scroll = 0
        followEnd = v == .results
    }

    // MARK: recovery

    /// Writes the recovery file when the working prompt changed since the last autosave, and removes it
    /// once the working prompt matches the file again.
    private func autosave() {
        guard let path = recoveryKey else { return }
        let now = working
        guard now != (autosaved ?? saved) else { return }
        if now == saved {
            RecoveryFile.remove(for: path)
        } else {
            do { try RecoveryFile.write(now, for: path) } catch { host.notify("autosave failed: \(error)", .warning); return }
        }
        autosaved = now
    }

    private func offerRecovery(_ path: String) {
        let when = RecoveryFile.date(for: path).map { " from \(Self.timeFormatter.string(from: $0))" } ?? ""
        confirmation = Confirmation("restore the unsaved changes\(when)? (n discards them)",
            onYes: { [unowned self] in
                do {
                    let source = prompt.path, name = prompt.name
                    prompt = try RecoveryFile.load(for: path)
                    prompt.path = source
                    // A task's autosave is named after its reference; the prompt keeps its own name.
                    if source == nil { prompt.name = name }
                    autosaved = prompt
                    host.notify("restored the unsaved changes — s saves them", .info)
                } catch {
                    host.notify("cannot restore: \(error)", .error)
                }
            },
            onNo: { [unowned self] in
                RecoveryFile.remove(for: path)
                host.notify("discarded the unsaved changes of \(prompt.name)", .info)
            })
    }

    /// Leaves the editor, asking first when there are changes: leaving is how changes are discarded
    /// on purpose, so the recovery file goes too.
    private func leave(_ go: @escaping () -> Void) {
        guard isModified else { go(); return }
        confirmation = Confirmation("leave without saving? y discards your changes, n stays (s saves)") { [unowned self] in
            if let path = recoveryKey { RecoveryFile.remove(for: path) }
            prompt = saved
            autosaved = nil
            go()
        }
    }

    static let timeFormatter: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f
    }()

    /// One-line form of a field: newlines shown as ⏎.
    static func flat(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: "⏎") }

    /// An exemplar as one line: input → output.
    static func summary(_ e: Exemplar) -> String { flat(e.fields["input"] ?? "") + "  →  " + flat(e.fields["output"] ?? "") }
}
