import Foundation

/// A queue that any thread may push to and the UI thread drains.
public final class EventQueue<Event>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Event] = []

    public init() {}

    public func push(_ event: Event) {
        lock.lock()
        items.append(event)
        lock.unlock()
    }

    /// Everything queued so far, oldest first.
    public func drain() -> [Event] {
        lock.lock()
        defer { lock.unlock() }
        let out = items
        items.removeAll(keepingCapacity: true)
        return out
    }
}

/// Runs engine work (generation, model loading) on one background thread at a time, so the UI thread
/// never waits on the engine. Jobs report through `events`. `isBusy` belongs to the UI thread: it is
/// set when a job starts and cleared when the UI has drained the job's last event, so the UI never
/// touches a `Session` that a job may still be using.
public final class EngineWorker<Event>: @unchecked Sendable {
    public let events = EventQueue<Event>()
    public private(set) var isBusy = false

    public init() {}

    /// Starts `job` on a new thread; false (and nothing runs) while another job is still busy.
    @discardableResult
    public func start(_ job: @escaping (EventQueue<Event>) -> Void) -> Bool {
        guard !isBusy else { return false }
        isBusy = true
        let queue = events
        let thread = Thread { job(queue) }
        thread.stackSize = 8 << 20
        thread.name = "palmtop-engine"
        thread.start()
        return true
    }

    /// Called by the UI thread after it handled a job's final event.
    public func finished() { isBusy = false }
}
