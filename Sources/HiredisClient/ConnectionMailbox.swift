// ConnectionMailbox: the state a connection's callers and its thread share (queued requests, phase, wake-up).

import ConnectionPool
import CHiredis
import Glibc
import Synchronization

/// What callers and the connection thread share: the queue of requests not yet taken by the thread, the
/// connection's phase, and the eventfd that wakes the thread when it sleeps in `poll`.
final class ConnectionMailbox: Sendable {
    enum Phase: Sendable {
        case connecting, open, closing
        case closed(RedisError?)
    }

    struct State: Sendable {
        var queued: [PendingCommand] = []
        var phase = Phase.connecting
        /// The thread is (about to be) blocked in `poll` with nothing queued: a caller must signal the eventfd.
        var threadSleeping = false
        var closeHandlers: [@Sendable (RedisError?) -> Void] = []
    }

    let state = Mutex(State())
    /// Owned by the mailbox; closed when it is deinitialised (after the thread has stopped using it).
    let wakeupFD: Int32

    init() throws(RedisError) {
        let fd = chiredis_make_wakeup_fd()
        guard fd >= 0 else { throw RedisError(.connectFailed, "eventfd failed: \(String(cString: strerror(errno)))") }
        self.wakeupFD = fd
    }

    deinit { Glibc.close(wakeupFD) }

    /// Queues a request for the thread, or fails it when the connection no longer takes work.
    func enqueue(_ command: PendingCommand) {
        enum Outcome { case queued, wake, refuse(RedisError) }
        let outcome = state.withLock(annotatedBy: self) { state -> Outcome in
            switch state.phase {
            case .open, .connecting:
                state.queued.append(command)
                if state.threadSleeping {
                    state.threadSleeping = false
                    return .wake
                }
                return .queued
            case .closing:
                return .refuse(RedisError(.connectionClosed, "the connection is closing and takes no new commands"))
            case .closed(let error):
                let reason = error.map { "it was retired: \($0.message)" } ?? "it was closed"
                return .refuse(RedisError(.connectionClosed, "the connection cannot be used: \(reason)"))
            }
        }
        switch outcome {
        case .queued: break
        case .wake: wake()
        case .refuse(let error): command.fail(error)
        }
    }

    /// Asks for a graceful close: no new work; what is queued or in flight finishes first.
    func requestClose() {
        let needsWake = state.withLock(annotatedBy: self) { state -> Bool in
            switch state.phase {
            case .open, .connecting:
                state.phase = .closing
                return true
            case .closing, .closed:
                return false
            }
        }
        if needsWake { wake() }
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

    func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeupFD, &one, MemoryLayout<UInt64>.size)
    }

    func drainWakeups() {
        var value: UInt64 = 0
        _ = Glibc.read(wakeupFD, &value, MemoryLayout<UInt64>.size)
    }
}
