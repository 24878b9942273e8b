// TracedSessionStore: a SessionStore decorator that runs every operation in a span (session.load, session.save, …).

import Tracing

/// Wraps any ``SessionStore`` so that each operation runs in a span: `session.create`, `session.load`,
/// `session.save`, `session.increment`, `session.touch`, `session.rotate`, `session.destroy`,
/// `session.list_user_sessions`, `session.destroy_user_sessions`, `session.destroy_user_session`.
///
/// Each span is a child of the task's current context (under Hummingbird's `TracingMiddleware`, the HTTP request's
/// span) and the parent of the store's own spans (the Redis client's command spans). Attributes:
/// - `session.operation`: `load`, `save`, …
/// - `session.outcome`: `ok`, or what the store reported (`none`, `grace`, `theft`, `malformed` for a load), or the
///   failure (`not_found`, `conflict`, `already_rotated`, `limit`, `unavailable`, …: ``SessionStoreError/Code/outcome``),
///   the same names as the `session_store_operations_total` metric;
/// - `session.round_trips`: the requests the store made to its backend (``SessionStoreTracing/countRoundTrip()``;
///   `0` in memory);
/// - `session.rotation` on rotations: `renewal`, `login`, `privilege_change`;
/// - `error.type` (the outcome) and the error status when the operation throws.
///
/// A token is never recorded; the user name is recorded (as `enduser.id`) only with `recordingUsers`.
///
/// ```swift
/// InstrumentationSystem.bootstrap(tracer)                      // first: the decorator takes the tracer bootstrapped now
/// let store = TracedSessionStore(try RedisSessionStore(redis: redis, keyring: keyring))
/// ```
/// With no tracer bootstrapped (a `NoOpTracer`), every operation goes straight to the wrapped store.
public struct TracedSessionStore<Base: SessionStore>: SessionStore {
    /// The wrapped store.
    public let base: Base
    let spans: StoreOperationTracer

    /// Wraps a store.
    /// - Parameters:
    ///   - base: the store that does the work.
    ///   - tracer: the tracer of the spans; default: the one bootstrapped in `InstrumentationSystem` now.
    ///   - recordingUsers: record the user name of each operation as `enduser.id`. Default: `false` (user names are
    ///     personal data).
    public init(_ base: Base, tracer: any Tracer = InstrumentationSystem.tracer, recordingUsers: Bool = false) {
        self.base = base
        self.spans = StoreOperationTracer(tracer: tracer, namespace: "session", recordsUsers: recordingUsers)
    }

    public var configuration: SessionConfiguration { base.configuration }

    public func create(
        user: String?, attributes: [String: [UInt8]], authentication: Authentication?
    ) async throws(SessionStoreError) -> Session {
        try await spans.run("create", user: user) { () async throws(SessionStoreError) in
            try await base.create(user: user, attributes: attributes, authentication: authentication)
        }
    }

    public func load(_ token: String) async throws(SessionStoreError) -> Session? {
        try await spans.run("load", outcome: { $0 == nil ? "none" : $0!.reachedThroughGrace ? "grace" : "ok" }, userOf: { $0?.user }) {
            () async throws(SessionStoreError) in try await base.load(token)
        }
    }

    public func save(_ session: inout Session, checkingRevision: Bool) async throws(SessionStoreError) {
        try await spans.run("save", user: session.user) { () async throws(SessionStoreError) in
            try await base.save(&session, checkingRevision: checkingRevision)
        }
    }

    public func increment(_ session: Session, _ attribute: String, by delta: Int64) async throws(SessionStoreError) -> Int64 {
        try await spans.run("increment", user: session.user) { () async throws(SessionStoreError) in
            try await base.increment(session, attribute, by: delta)
        }
    }

    public func touch(_ session: Session) async throws(SessionStoreError) -> Bool {
        try await spans.run("touch", user: session.user, outcome: { $0 ? "ok" : "not_found" }) { () async throws(SessionStoreError) in
            try await base.touch(session)
        }
    }

    public func rotate(
        _ session: Session, _ kind: RotationKind, authentication: Authentication?
    ) async throws(SessionStoreError) -> Session {
        let rotation: String
        let user: String?
        switch kind {
        case .renewal: (rotation, user) = ("renewal", session.user)
        case .login(let newUser): (rotation, user) = ("login", newUser)
        case .privilegeChange: (rotation, user) = ("privilege_change", session.user)
        }
        return try await spans.run("rotate", user: user, attributes: { $0["session.rotation"] = rotation }) { () async throws(SessionStoreError) in
            try await base.rotate(session, kind, authentication: authentication)
        }
    }

    public func destroy(_ session: Session) async throws(SessionStoreError) {
        try await spans.run("destroy", user: session.user) { () async throws(SessionStoreError) in
            try await base.destroy(session)
        }
    }

    public func sessions(ofUser user: String) async throws(SessionStoreError) -> [SessionSummary] {
        try await spans.run("list_user_sessions", user: user) { () async throws(SessionStoreError) in
            try await base.sessions(ofUser: user)
        }
    }

    @discardableResult
    public func destroySessions(ofUser user: String, keeping: Session?) async throws(SessionStoreError) -> Int {
        try await spans.run("destroy_user_sessions", user: user) { () async throws(SessionStoreError) in
            try await base.destroySessions(ofUser: user, keeping: keeping)
        }
    }

    @discardableResult
    public func destroySession(ofUser user: String, handle: String) async throws(SessionStoreError) -> Bool {
        try await spans.run("destroy_user_session", user: user, outcome: { $0 ? "ok" : "not_found" }) { () async throws(SessionStoreError) in
            try await base.destroySession(ofUser: user, handle: handle)
        }
    }
}
