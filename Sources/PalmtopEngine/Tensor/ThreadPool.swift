import Foundation
import Synchronization

/// A persistent pool of worker threads. Kernels on these small models take 50–500 µs, so starting a
/// new parallel loop per call would eat the second core's gain: the workers stay alive, spin briefly
/// after each job (the next one usually follows within microseconds) and then sleep on a condition.
package final class ThreadPool: @unchecked Sendable {
    package let threadCount: Int
    private let state: PoolState
    /// Sessions on one model may run on different threads at once; their parallel regions take the
    /// workers in turn (each region is 50–500 µs, so both sessions keep moving).
    private let regionLock = NSLock()

    /// Physical cores the process may use: two hyperthreads of one core share its `vdpbf16ps` units and
    /// its memory bandwidth, so a second thread per core only adds synchronisation. Counts distinct
    /// (package, core) pairs in Linux's CPU topology, capped by the CPUs this process may run on.
    package static var defaultThreadCount: Int {
        let logical = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var cores = Set<String>()
        for cpu in 0..<1024 {
            let dir = "/sys/devices/system/cpu/cpu\(cpu)/topology/"
            guard let core = try? String(contentsOfFile: dir + "core_id", encoding: .utf8) else { break }
            let package = (try? String(contentsOfFile: dir + "physical_package_id", encoding: .utf8)) ?? "0"
            cores.insert(package.trimmingCharacters(in: .whitespacesAndNewlines) + ":" + core.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return cores.isEmpty ? logical : min(logical, cores.count)
    }

    package init(threads: Int = ThreadPool.defaultThreadCount) {
        threadCount = max(1, threads)
        state = PoolState()
        for worker in 1..<threadCount {
            // Workers hold the shared state, not the pool, so the pool can be released while they sleep.
            let t = Thread { [state] in state.workerLoop(worker) }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    deinit { state.shutDown() }

    /// Runs `body(part)` for part in 0..<threadCount, one part per thread, and returns when all are done.
    package func runParts(_ body: @escaping (Int) -> Void) {
        if threadCount == 1 { body(0); return }
        regionLock.lock()
        defer { regionLock.unlock() }
        state.run(body, helpers: threadCount - 1)
    }

    /// Splits 0..<count into contiguous ranges (multiples of `grain` except the last) over the threads.
    package func parallelFor(_ count: Int, grain: Int = 1, _ body: @escaping (Range<Int>) -> Void) {
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

/// The job slot and counters shared by a pool and its workers.
private final class PoolState: @unchecked Sendable {
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let condition = NSCondition()
    private var job: ((Int) -> Void)?
    private var stopping = false

    func workerLoop(_ worker: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .sequentiallyConsistent) == seen && spins < 50_000 { spins += 1 }
            condition.lock()
            while generation.load(ordering: .sequentiallyConsistent) == seen { condition.wait() }
            seen = generation.load(ordering: .sequentiallyConsistent)
            let body = job
            let stop = stopping
            condition.unlock()
            if stop { return }
            body?(worker)
            pending.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    func run(_ body: @escaping (Int) -> Void, helpers: Int) {
        pending.store(helpers, ordering: .sequentiallyConsistent)
        condition.lock()
        job = body
        generation.add(1, ordering: .sequentiallyConsistent)
        condition.broadcast()
        condition.unlock()
        body(0)
        var spins = 0
        while pending.load(ordering: .sequentiallyConsistent) > 0 {
            spins += 1
            if spins > 10_000 { sched_yield() }
        }
        condition.lock()
        job = nil
        condition.unlock()
    }

    func shutDown() {
        condition.lock()
        stopping = true
        generation.add(1, ordering: .sequentiallyConsistent)
        condition.broadcast()
        condition.unlock()
    }
}
