import Foundation
import PalmtopBigBench
import PalmtopEngine

/// The library's BIG-bench section: one row per leaf task (a task without subtasks, or each subtask)
/// of the installed tasks, read from the store's manifest alone — a task's file is read only when it
/// is opened, so 1,001 rows list at once. When BIG-bench is not pulled, one row says how to pull it.
struct BigBenchShelf {
    /// A row: `bigbench:TASK` or `bigbench:TASK:SUBTASK`, and the task's summary (the parent's, for a subtask).
    struct Item {
        let reference: String
        let summary: BigBenchTaskSummary
        let subtask: String?

        /// Whether the dev set is scored by rank classification, which needs a backend that scores (not llama-server).
        var isMultipleChoice: Bool { summary.preferredMetric == "multiple_choice_grade" || !summary.type.contains("generative") }
    }

    /// The row standing for BIG-bench when it is not installed (or its manifest does not load).
    static let missingName = "bigbench (not pulled)"

    let items: [Item]
    /// Why there are no tasks: not pulled (with the command that pulls it), or a damaged manifest.
    let problem: String?
    private let byReference: [String: Item]

    init(store: BigBenchStore) {
        do {
            let manifest = try store.manifest()
            items = manifest.tasks.flatMap { t -> [Item] in
                guard !t.subtasks.isEmpty else { return [Item(reference: "bigbench:" + t.name, summary: t, subtask: nil)] }
                return t.subtasks.map { Item(reference: "bigbench:" + $0, summary: t, subtask: $0) }
            }
            problem = nil
        } catch {
            items = []
            problem = "\(error)"
        }
        byReference = Dictionary(items.map { ($0.reference, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The rows' names, in the list's order.
    var names: [String] { problem == nil ? items.map(\.reference) : [Self.missingName] }

    func item(_ name: String) -> Item? { byReference[name] }

    /// Why `item` cannot run its dev set on `backend`, or nil.
    static func limitation(_ item: Item, on backend: ModelBackend) -> String? {
        guard item.isMultipleChoice, !backend.capabilities.scoringApart else { return nil }
        return backend.capabilities.scoringApartLimitation
    }
}
