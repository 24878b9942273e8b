// An in-memory connection for runner tests that also detects a connection used by two holders at once.
import Synchronization
@testable import ConnectionPool

/// A connection that does nothing but close, report closing, and count who uses it.
final class FakeConnection: PooledConnection {
    private struct State {
        var closed = false
        var closeError: (any Error)?
        var callbacks: [@Sendable ((any Error)?) -> Void] = []
    }

    let id: Int
    private let state = Mutex(State())
    private let sharedUsers = Atomic<Int>(0)
    private let exclusiveHolders = Atomic<Int>(0)
    private let overlaps = Atomic<Int>(0)

    init(id: Int) {
        self.id = id
    }

    func close() {
        finish(with: nil)
    }

    /// Breaks the connection as a network error would.
    func fail(_ error: any Error) {
        finish(with: error)
    }

    func onClose(_ closure: @escaping @Sendable ((any Error)?) -> Void) {
        let alreadyClosed: (any Error)?? = state.withLock(annotatedBy: self) { state in
            if state.closed { return .some(state.closeError) }
            state.callbacks.append(closure)
            return .none
        }
        if case .some(let error) = alreadyClosed { closure(error) }
    }

    var isClosed: Bool {
        state.withLock(annotatedBy: self) { $0.closed }
    }

    /// Times an exclusive holder met another user on this connection.
    var overlapCount: Int {
        overlaps.load(ordering: .sequentiallyConsistent)
    }

    func beginShared() {
        sharedUsers.add(1, ordering: .sequentiallyConsistent)
        if exclusiveHolders.load(ordering: .sequentiallyConsistent) > 0 { recordOverlap() }
    }

    func endShared() {
        sharedUsers.subtract(1, ordering: .sequentiallyConsistent)
    }

    func beginExclusive() {
        let before = exclusiveHolders.add(1, ordering: .sequentiallyConsistent).oldValue
        if before != 0 || sharedUsers.load(ordering: .sequentiallyConsistent) > 0 { recordOverlap() }
    }

    func endExclusive() {
        exclusiveHolders.subtract(1, ordering: .sequentiallyConsistent)
    }

    private func recordOverlap() {
        overlaps.add(1, ordering: .sequentiallyConsistent)
    }

    private func finish(with error: (any Error)?) {
        let callbacks = state.withLock(annotatedBy: self) { state -> [@Sendable ((any Error)?) -> Void] in
            guard !state.closed else { return [] }
            state.closed = true
            state.closeError = error
            defer { state.callbacks = [] }
            return state.callbacks
        }
        for callback in callbacks { callback(error) }
    }
}
