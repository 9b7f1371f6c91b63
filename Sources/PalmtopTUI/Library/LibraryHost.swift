import Synchronization
import PalmtopEngine
import PalmtopPrompts

/// What the library panels report from the engine thread.
public enum LibraryEvent {
    /// Text streamed by a query run.
    case text(String)
    case generated(GenerationSummary)
    /// A self-consistency query run: every sample's text, in sample order.
    case sampled([String])
    case item(EvalItemResult)
    /// A finished dev-set run, with the prompt tokens the KV cache served and those computed.
    case evaluated(DevScore, reused: Int, computed: Int)
    /// Leave-one-out: the score with every switched-on exemplar, then with exemplar `left` left out.
    case ablationBaseline(DevScore)
    case leftOut(Int, DevScore)
    /// The leave-one-out runs are over (all of them, or those done before Esc).
    case ablated(reused: Int, computed: Int)
    case failed(String)

    /// Whether this event ends the job.
    var isFinal: Bool {
        switch self {
        case .generated, .sampled, .evaluated, .ablated, .failed: return true
        case .text, .item, .ablationBaseline, .leftOut: return false
        }
    }
}

/// What the library panels need from the app: the model, a way to run engine work off the UI thread,
/// and a few app actions. The app conforms; tests can supply their own.
public protocol LibraryHost: AnyObject {
    /// The chat's backend (its model's name and chat template).
    var backend: ModelBackend { get }
    /// Runs `job` on the engine thread with the library's own sequence on the chat's model (so a run
    /// leaves the chat's cache as it was); false while another job runs.
    func runLibraryJob(_ job: @escaping (ModelBackend, EventQueue<LibraryEvent>) -> Void) -> Bool
    /// Asks the running job to stop.
    func cancelLibraryJob()
    /// Switches models (the prompt's preferred one).
    func switchModel(to name: String)
    /// Shows another overlay in place of the current one.
    func present(_ panel: Panel)
    /// Closes the overlay (for a panel that closes after a y/n answer, not from `handle`'s effect).
    func dismiss()
    func notify(_ text: String, _ kind: StatusMessage.Kind)
}

/// A stop request the UI thread raises and a job on the engine thread checks between steps.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func raise() { value.store(true, ordering: .sequentiallyConsistent) }
    func reset() { value.store(false, ordering: .sequentiallyConsistent) }
    var isRaised: Bool { value.load(ordering: .sequentiallyConsistent) }
}
