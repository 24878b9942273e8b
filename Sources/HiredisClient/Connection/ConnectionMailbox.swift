// ConnectionMailbox: what a connection's callers (any thread) and its event loop share: queued requests and phase.

import NIOCore
import Synchronization

/// The hand-off between callers and the connection's event loop.
///
/// Callers append requests under a small lock; the first request after a drain schedules one task on the event
/// loop, which takes everything queued meanwhile and writes it in one flush (auto-pipelining).
final class ConnectionMailbox: Sendable {
    enum Phase: Sendable {
        case open, closing
        case closed(RedisError?)
    }

    struct State: Sendable {
        var queued: [PendingCommand] = []
        /// A drain task is scheduled on the event loop and has not taken the queue yet.
        var drainScheduled = false
        var phase = Phase.open
        var closeHandlers: [@Sendable (RedisError?) -> Void] = []
    }

    let state = Mutex(State())
    /// Written commands whose caller already failed and whose reply has not come (kept by the event loop).
    let placeholders = Atomic<Int>(0)
    /// The TLS handshake finished (set once by the event loop).
    let tlsEstablished = Atomic<Bool>(false)

    /// Queues a request; returns `true` when the caller must schedule a drain, or fails the request when the
    /// connection takes no more work.
    func enqueue(_ command: PendingCommand) -> Bool {
        enum Outcome { case queued, schedule, refuse(RedisError) }
        let outcome = state.withLock(annotatedBy: self) { state -> Outcome in
            switch state.phase {
            case .open:
                state.queued.append(command)
                if state.drainScheduled { return .queued }
                state.drainScheduled = true
                return .schedule
            case .closing:
                return .refuse(RedisError(.connectionClosed, "the connection is closing and takes no new commands"))
            case .closed(let error):
                // A TLS failure keeps its code: the caller must see that TLS, not the network, refused.
                if let error, error.code == .tls { return .refuse(error) }
                let reason = error.map { "it was retired: \($0.message)" } ?? "it was closed"
                return .refuse(RedisError(.connectionClosed, "the connection cannot be used: \(reason)"))
            }
        }
        switch outcome {
        case .queued: return false
        case .schedule: return true
        case .refuse(let error):
            command.fail(error)
            return false
        }
    }

    /// Moves what is queued to the end of `batch` (on the event loop); says whether a graceful close was asked for.
    func takeQueued(appendingTo batch: inout [PendingCommand]) -> Bool {
        state.withLock(annotatedBy: self) { state in
            if batch.isEmpty {
                swap(&state.queued, &batch)
            } else {
                batch.append(contentsOf: state.queued)
                state.queued.removeAll(keepingCapacity: true)
            }
            state.drainScheduled = false
            if case .closing = state.phase { return true }
            return false
        }
    }

    /// Asks for a graceful close; returns `true` when the event loop must be told (first request only).
    func requestClose() -> Bool {
        state.withLock(annotatedBy: self) { state -> Bool in
            guard case .open = state.phase else { return false }
            state.phase = .closing
            return true
        }
    }

    /// Marks the connection closed; returns the requests still queued and the close handlers, each to run once.
    func markClosed(_ error: RedisError?) -> (queued: [PendingCommand], handlers: [@Sendable (RedisError?) -> Void]) {
        state.withLock(annotatedBy: self) { state in
            state.phase = .closed(error)
            defer { state.queued = []; state.closeHandlers = [] }
            return (state.queued, state.closeHandlers)
        }
    }

    /// Registers a close handler; runs it at once when the connection is already closed.
    func onClose(_ handler: @escaping @Sendable (RedisError?) -> Void) {
        let closedWith = state.withLock(annotatedBy: self) { state -> RedisError?? in
            if case .closed(let error) = state.phase { return .some(error) }
            state.closeHandlers.append(handler)
            return .none
        }
        if let error = closedWith { handler(error) }
    }

    var isClosed: Bool {
        state.withLock(annotatedBy: self) { state in
            if case .closed = state.phase { return true }
            return false
        }
    }
}
