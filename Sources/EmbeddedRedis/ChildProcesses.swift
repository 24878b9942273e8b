// ChildProcesses: starting and awaiting Foundation `Process` children without blocking Swift's cooperative pool.

import Foundation
import Glibc

/// What every child process of the tests and the bench needs: a start that does not pass on blocked termination
/// signals, and a wait for the exit that never blocks a thread of the cooperative pool.
public enum ChildProcesses {
    /// Starts `process` with SIGTERM and SIGINT unblocked. A child inherits the signal mask of the thread that
    /// spawns it, and libdispatch blocks the signals it watches (swift-service-lifecycle's graceful-shutdown
    /// signals, for one) on its threads: a child spawned from such a thread would never see a SIGTERM.
    /// - Throws: what `Process.run()` throws.
    public static func run(_ process: Process) throws {
        var termination = sigset_t()
        sigemptyset(&termination)
        sigaddset(&termination, SIGTERM)
        sigaddset(&termination, SIGINT)
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &termination, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    /// Waits until `process` has been reaped; `false` when it still runs after `timeout`.
    ///
    /// `Process.waitUntilExit()` spins a run loop that may never see the exit when called from a Swift concurrency
    /// thread, and would block that thread, so this polls with `Task.sleep`; a cancelled task still waits
    /// (sleeping briefly) rather than spin.
    public static func waitForExit(_ process: Process, timeout: Duration, interval: Duration = .milliseconds(10)) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning && ContinuousClock.now < deadline {
            do {
                try await Task.sleep(for: interval)
            } catch {
                usleep(10_000)
            }
        }
        return !process.isRunning
    }
}
