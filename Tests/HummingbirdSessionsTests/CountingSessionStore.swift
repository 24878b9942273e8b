// CountingSessionStore: a MemorySessionStore wrapper that counts saves, to check that unchanged sessions are not saved.

import SessionStore
import Synchronization

/// Forwards to a ``MemorySessionStore`` and counts calls to `save`.
final class CountingSessionStore: SessionStore {
    let inner: MemorySessionStore
    let saves = Atomic<Int>(0)

    init(_ inner: MemorySessionStore) { self.inner = inner }

    var configuration: SessionConfiguration { inner.configuration }
    var saveCount: Int { saves.load(ordering: .relaxed) }

    func create(user: String?, attributes: [String: [UInt8]], authentication: Authentication?) async throws(SessionStoreError) -> Session {
        try await inner.create(user: user, attributes: attributes, authentication: authentication)
    }
    func load(_ token: String) async throws(SessionStoreError) -> Session? { try await inner.load(token) }
    func save(_ session: inout Session, checkingRevision: Bool) async throws(SessionStoreError) {
        saves.add(1, ordering: .relaxed)
        try await inner.save(&session, checkingRevision: checkingRevision)
    }
    func increment(_ session: Session, _ attribute: String, by delta: Int64) async throws(SessionStoreError) -> Int64 {
        try await inner.increment(session, attribute, by: delta)
    }
    func touch(_ session: Session) async throws(SessionStoreError) -> Bool { try await inner.touch(session) }
    func rotate(_ session: Session, _ kind: RotationKind, authentication: Authentication?) async throws(SessionStoreError) -> Session {
        try await inner.rotate(session, kind, authentication: authentication)
    }
    func destroy(_ session: Session) async throws(SessionStoreError) { try await inner.destroy(session) }
    func sessions(ofUser user: String) async throws(SessionStoreError) -> [SessionSummary] { try await inner.sessions(ofUser: user) }
    func destroySessions(ofUser user: String, keeping: Session?) async throws(SessionStoreError) -> Int {
        try await inner.destroySessions(ofUser: user, keeping: keeping)
    }
    func destroySession(ofUser user: String, handle: String) async throws(SessionStoreError) -> Bool {
        try await inner.destroySession(ofUser: user, handle: handle)
    }
}
