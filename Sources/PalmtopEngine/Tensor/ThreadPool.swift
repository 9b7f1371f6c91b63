import Foundation
import Synchronization

/// A persistent pool of worker threads. Kernels on these small models take 50–500 µs, so starting a
/// new parallel loop per call would eat the second core's gain: the workers stay alive, spin briefly
/// after each job (the next one usually follows within microseconds) and then sleep on a condition.
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let mutex = NSCondition()
    private var job: ((Int) -> Void)?
    private var shuttingDown = false
    private var workers: [Thread] = []

    /// The number of physical cores (this machine reports no SMT siblings; on machines with SMT the
    /// logical count overstates it, and memory-bound kernels gain nothing from siblings).
    public static var defaultThreadCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    public init(threads: Int = ThreadPool.defaultThreadCount) {
        threadCount = max(1, threads)
        for worker in 1..<threadCount {
            let t = Thread { [unowned self] in self.workerLoop(worker) }
            t.stackSize = 1 << 20
            t.start()
            workers.append(t)
        }
    }

    deinit {
        mutex.lock()
        shuttingDown = true
        generation.add(1, ordering: .sequentiallyConsistent)
        mutex.broadcast()
        mutex.unlock()
    }

    private func workerLoop(_ worker: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .sequentiallyConsistent) == seen && spins < 50_000 { spins += 1 }
            mutex.lock()
            while generation.load(ordering: .sequentiallyConsistent) == seen { mutex.wait() }
            seen = generation.load(ordering: .sequentiallyConsistent)
            let body = job
            let stop = shuttingDown
            mutex.unlock()
            if stop { return }
            body?(worker)
            pending.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Runs `body(part)` for part in 0..<threadCount, one part per thread, and returns when all are done.
    public func runParts(_ body: @escaping (Int) -> Void) {
        if threadCount == 1 { body(0); return }
        pending.store(threadCount - 1, ordering: .sequentiallyConsistent)
        mutex.lock()
        job = body
        generation.add(1, ordering: .sequentiallyConsistent)
        mutex.broadcast()
        mutex.unlock()
        body(0)
        var spins = 0
        while pending.load(ordering: .sequentiallyConsistent) > 0 {
            spins += 1
            if spins > 10_000 { sched_yield() }
        }
        mutex.lock()
        job = nil
        mutex.unlock()
    }

    /// Splits 0..<count into contiguous ranges (multiples of `grain` except the last) over the threads.
    public func parallelFor(_ count: Int, grain: Int = 1, _ body: @escaping (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let parts = min(threadCount, (count + grain - 1) / grain)
        if parts <= 1 { body(0..<count); return }
        let chunks = (count + grain - 1) / grain
        runParts { part in
            guard part < parts else { return }
            let lo = chunks * part / parts * grain
            let hi = min(count, chunks * (part + 1) / parts * grain)
            if lo < hi { body(lo..<hi) }
        }
    }
}
