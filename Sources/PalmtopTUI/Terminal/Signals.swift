import Foundation
import Synchronization
import CNcursesw

/// Signal handling for the REPL. Handlers only set flags (the one loop acts on them between frames),
/// except for crashes, where the terminal is restored before the default action runs.
public enum Signals {
    private static let interruptFlag = Atomic<Bool>(false)
    private static let terminateFlag = Atomic<Bool>(false)

    /// Ctrl-C stops a generation rather than the program; SIGTERM and SIGHUP end the loop cleanly.
    static func install() {
        signal(SIGINT) { _ in Signals.interruptFlag.store(true, ordering: .sequentiallyConsistent) }
        signal(SIGTERM) { _ in Signals.terminateFlag.store(true, ordering: .sequentiallyConsistent) }
        signal(SIGHUP) { _ in Signals.terminateFlag.store(true, ordering: .sequentiallyConsistent) }
        // A crash (a Swift trap is SIGILL or SIGTRAP) must not leave the shell in raw mode with the
        // alternate screen up. endwin is not async-signal-safe, but the process is dying anyway and
        // htop does the same. The previous handler (the runtime's backtracer, if any) then runs.
        for s in crashSignals {
            previous[Int(s)] = signal(s) { sig in
                endwin()
                signal(sig, Signals.previous[Int(sig)] ?? SIG_DFL)
                raise(sig)
            }
        }
    }

    private static let crashSignals = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]
    /// Handlers that were installed before ours, by signal number (read only while crashing).
    nonisolated(unsafe) private static var previous = [sighandler_t?](repeating: nil, count: 65)

    /// Puts the default handlers back (after the terminal is restored).
    static func uninstall() {
        for s in [SIGINT, SIGTERM, SIGHUP] { signal(s, SIG_DFL) }
        for s in crashSignals { signal(s, previous[Int(s)] ?? SIG_DFL) }
    }

    /// Whether Ctrl-C was pressed since the last call.
    public static func takeInterrupt() -> Bool { interruptFlag.exchange(false, ordering: .sequentiallyConsistent) }

    /// Whether SIGTERM or SIGHUP arrived.
    public static var terminationRequested: Bool { terminateFlag.load(ordering: .sequentiallyConsistent) }
}
