// PendingCommand: one caller's request (a command or a batch) on its way through a connection's event loop.

import ConnectionPool
import Synchronization

/// A request handed from a caller's task to a connection's event loop, completed exactly once.
///
/// Its life is `created → queued → written → finished`. Cancelling or timing out finishes it at once with an
/// error: a queued request is then never written; a written one cannot be taken back, so the connection keeps its
/// slot as a placeholder that absorbs the late reply. Every transition happens under the request's own small lock,
/// so the caller's cancellation handler, the deadline timer and the event loop can race safely.
final class PendingCommand: Sendable {
    enum Waiter: Sendable {
        case single(UnsafeContinuation<RedisReply, any Error>)
        case batch(UnsafeContinuation<[RedisReply], any Error>)
    }

    private enum State: Sendable {
        case created(cancelled: Bool)
        case queued(Waiter)
        case written(Waiter)
        case finished
    }

    /// The encoded command(s), written to the socket as they are.
    let payload: [UInt8]
    /// How many replies complete the request.
    let replyCount: Int
    /// When the request was issued and by when its replies must have arrived.
    let issued: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant
    let timeout: Duration
    private let state = Mutex(State.created(cancelled: false))

    init(payload: [UInt8], replyCount: Int, timeout: Duration) {
        self.payload = payload
        self.replyCount = replyCount
        self.issued = .now
        self.timeout = timeout
        self.deadline = issued.advanced(by: timeout)
    }

    /// Attaches the caller's continuation; returns `false` (and fails it) when the task was cancelled first.
    func attach(_ waiter: Waiter) -> Bool {
        let cancelled = state.withLock(annotatedBy: self) { state -> Bool in
            guard case .created(let cancelled) = state else { preconditionFailure("a request is attached once") }
            state = cancelled ? .finished : .queued(waiter)
            return cancelled
        }
        if cancelled { waiter.fail(CancellationError()) }
        return !cancelled
    }

    /// Marks the request as written; `false` when it was cancelled or failed while queued.
    func markWritten() -> Bool {
        state.withLock(annotatedBy: self) { state in
            guard case .queued(let waiter) = state else { return false }
            state = .written(waiter)
            return true
        }
    }

    /// Cancels the request (O(1)): the caller gets `CancellationError` at once, written or not. The event loop
    /// skips it if it is still queued, or absorbs its reply when it comes.
    func cancel() {
        let waiter = state.withLock(annotatedBy: self) { state -> Waiter? in
            switch state {
            case .created:
                state = .created(cancelled: true)
                return nil
            case .queued(let waiter), .written(let waiter):
                state = .finished
                return waiter
            case .finished:
                return nil
            }
        }
        waiter?.fail(CancellationError())
    }

    /// Completes the request with its replies (one for a single command).
    func succeed(_ replies: [RedisReply]) {
        guard let waiter = finish() else { return }
        switch waiter {
        case .single(let continuation): continuation.resume(returning: replies[0])
        case .batch(let continuation): continuation.resume(returning: replies)
        }
    }

    /// Completes a single-command request with its reply.
    func succeed(_ reply: RedisReply) {
        guard let waiter = finish() else { return }
        switch waiter {
        case .single(let continuation): continuation.resume(returning: reply)
        case .batch(let continuation): continuation.resume(returning: [reply])
        }
    }

    /// Fails the request, whether queued or written.
    func fail(_ error: any Error) {
        finish()?.fail(error)
    }

    private func finish() -> Waiter? {
        state.withLock(annotatedBy: self) { state in
            switch state {
            case .queued(let waiter), .written(let waiter):
                state = .finished
                return waiter
            case .created, .finished:
                return nil
            }
        }
    }
}

extension PendingCommand.Waiter {
    func fail(_ error: any Error) {
        switch self {
        case .single(let continuation): continuation.resume(throwing: error)
        case .batch(let continuation): continuation.resume(throwing: error)
        }
    }
}
