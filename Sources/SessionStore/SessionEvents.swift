// SessionEvents: delivers lifecycle events to any number of async subscribers without blocking the request path.

import Metrics
import Synchronization

/// The lifecycle events of a store's sessions and token families, delivered where they happen (on the instance
/// that performed the operation), to every subscriber.
///
/// Emitting never blocks and never waits for a subscriber: each subscriber has a buffer of
/// ``bufferSize`` events, and a subscriber that falls behind loses the oldest (counted in
/// `session_events_dropped_total`). With no subscriber, emitting costs one lock acquisition.
///
/// ```swift
/// let events = store.configuration.events
/// Task {
///     for await event in events.subscribe() {
///         logger.info("\(event.name)", metadata: ["user": "\(event.user ?? "-")"])
///     }
/// }
/// ```
///
/// Expiry that Redis performs on its own (a key's TTL ends) is seen by no operation: a load that finds a session
/// past its expiry reports it, and `RedisSessionStore.reportExpiry(…)` can also follow Redis's keyspace
/// notifications where the server allows them.
public final class SessionEvents: Sendable {
    /// The events a subscriber may fall behind by before the oldest are dropped.
    public let bufferSize: Int
    private let subscribers = Mutex<[Int: AsyncStream<SessionEvent>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)
    private let dropped = Counter(label: "session_events_dropped_total")

    /// A bus with no subscriber yet.
    public init(bufferSize: Int = 4096) {
        self.bufferSize = max(1, bufferSize)
    }

    /// A new subscription: every event emitted from now on, until the stream's consumer stops iterating.
    public func subscribe() -> AsyncStream<SessionEvent> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: SessionEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    /// Whether anyone is subscribed (emitters may skip building events otherwise).
    public var hasSubscribers: Bool { subscribers.withLock { !$0.isEmpty } }

    /// Delivers an event to every subscriber, without waiting.
    public func emit(_ event: @autoclosure () -> SessionEvent) {
        let targets = subscribers.withLock { $0.isEmpty ? [] : Array($0.values) }
        guard !targets.isEmpty else { return }
        let event = event()
        for continuation in targets {
            if case .dropped = continuation.yield(event) { dropped.increment() }
        }
    }

    /// Ends every subscription (their loops finish).
    public func finish() {
        let targets = subscribers.withLock { state in
            defer { state.removeAll() }
            return Array(state.values)
        }
        for continuation in targets { continuation.finish() }
    }
}

extension SessionEvents {
    /// Emits an event about the session stored under `id` (its handle is computed only when someone listens).
    package func session(_ kind: SessionEvent.Kind, id: String, user: String?) {
        emit(SessionEvent(kind, .session(handle: SessionIdentity.handle(forID: id)), user: user))
    }

    /// Emits the events of a rotation: `loggedIn` first for a login, then `rotated`.
    package func rotated(_ kind: RotationKind, id: String, user: String?) {
        guard hasSubscribers else { return }
        if case .login = kind { session(.loggedIn, id: id, user: user) }
        session(.rotated(SessionEvent.Rotation(kind)), id: id, user: user)
    }

    /// Emits the events of a create: `created`, and `loggedIn` when it is bound to a user.
    package func created(id: String, user: String?) {
        guard hasSubscribers else { return }
        session(.created, id: id, user: user)
        if user != nil { session(.loggedIn, id: id, user: user) }
    }
}
