// FailingSessionStore: a SessionStore whose every operation fails with `.unavailable`, as a dead Redis would.

import SessionStore

/// Every operation throws `SessionStoreError.unavailable`.
struct FailingSessionStore: SessionStore {
    let configuration = SessionConfiguration()
    private var failure: SessionStoreError { SessionStoreError(.unavailable, "store down") }

    func create(user: String?, attributes: [String: [UInt8]], authentication: Authentication?) async throws(SessionStoreError) -> Session {
        throw failure
    }
    func load(_ token: String) async throws(SessionStoreError) -> Session? { throw failure }
    func save(_ session: inout Session, checkingRevision: Bool) async throws(SessionStoreError) { throw failure }
    func increment(_ session: Session, _ attribute: String, by delta: Int64) async throws(SessionStoreError) -> Int64 { throw failure }
    func touch(_ session: Session) async throws(SessionStoreError) -> Bool { throw failure }
    func rotate(_ session: Session, _ kind: RotationKind, authentication: Authentication?) async throws(SessionStoreError) -> Session {
        throw failure
    }
    func destroy(_ session: Session) async throws(SessionStoreError) { throw failure }
    func sessions(ofUser user: String) async throws(SessionStoreError) -> [SessionSummary] { throw failure }
    func destroySessions(ofUser user: String, keeping: Session?) async throws(SessionStoreError) -> Int { throw failure }
    func destroySession(ofUser user: String, handle: String) async throws(SessionStoreError) -> Bool { throw failure }
}
