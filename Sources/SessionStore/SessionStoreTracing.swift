// SessionStoreTracing: what a traced store operation learns while it runs (its round trips, its outcome).

import Synchronization

/// The hooks through which a store tells the span of the operation running now how many round trips it made and how
/// it ended (see ``TracedSessionStore``).
///
/// A store calls ``countRoundTrip()`` at its single choke point to its backend (``RedisSessionStore`` does, once per
/// script, pipeline or command) and may report a finer outcome than the decorator sees (a load through the grace,
/// suspected theft). Both are a relaxed atomic load and nothing else while no traced store exists in the process, and
/// a task-local read while one does.
public enum SessionStoreTracing {
    /// What the traced operation running now has reported; bound by the decorators for its duration.
    @TaskLocal static var current: OperationRecord?

    /// `true` once a decorator with a real tracer exists: until then the hooks do not even read the task-local.
    private static let active = Atomic<Bool>(false)

    /// Counts one request to the backend (a command, a pipeline or a script: one round trip) for the traced operation
    /// running now; does nothing when none is traced.
    public static func countRoundTrip() {
        guard active.load(ordering: .relaxed), let record = current else { return }
        record.roundTrips.add(1, ordering: .relaxed)
    }

    /// Reports the outcome of the traced operation running now (a short snake_case word: `ok`, `none`, `grace`,
    /// `theft`…); the last report wins. Does nothing when no operation is traced.
    public static func recordOutcome(_ outcome: String) {
        guard active.load(ordering: .relaxed), let record = current else { return }
        record.outcome.withLock { $0 = outcome }
    }

    /// Turns the hooks on for the rest of the process.
    static func activate() {
        active.store(true, ordering: .relaxed)
    }
}

/// The round trips and outcome reported by one traced operation (shared with its child tasks, hence atomic).
final class OperationRecord: Sendable {
    let roundTrips = Atomic<Int>(0)
    let outcome = Mutex<String?>(nil)
}
