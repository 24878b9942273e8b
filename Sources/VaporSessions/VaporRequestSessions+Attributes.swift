// VaporRequestSessions+Attributes: typed attribute reads and writes, atomic increments, the CSRF token.

import SessionStore

extension VaporRequestSessions {
    /// Reads an attribute; `nil` when there is no session or no such attribute.
    ///
    /// A stored value that no longer decodes as `type` (a type changed in a deploy) reads as absent: it is logged
    /// and counted (`session_undecodable_attributes_total`), and the next ``set(_:to:)`` replaces it, so one bad
    /// payload never turns into an error on every request of that user.
    public func get<Value: Decodable>(_ name: String, as type: Value.Type = Value.self) async throws(VaporSessionsError) -> Value? {
        guard let session = try await current() else { return nil }
        do {
            return try session.get(name, as: type)
        } catch {
            logger.warning("a session attribute no longer decodes; treating it as absent", metadata: [
                "attribute": "\(name)", "session": "\(session.identity)",
            ])
            return nil
        }
    }

    /// Sets an attribute (saved after the handler, this attribute only); creates an anonymous session when there
    /// is none.
    public func set<Value: Encodable>(_ name: String, to value: Value) async throws(VaporSessionsError) {
        _ = try await currentOrNew()
        try mutate { (session: inout StoredSession) throws(SessionStoreError) in try session.set(name, to: value) }
    }

    /// Removes an attribute (deleted after the handler).
    public func remove(_ name: String) async throws(VaporSessionsError) {
        guard try await current() != nil else { return }
        try mutate { (session: inout StoredSession) throws(SessionStoreError) in try session.remove(name) }
    }

    /// Atomically adds `delta` to an integer attribute and returns the new value; creates an anonymous session
    /// when there is none.
    @discardableResult
    public func increment(_ name: String, by delta: Int64 = 1) async throws(VaporSessionsError) -> Int64 {
        let session = try await currentOrNew()
        let store = try boundStore()
        do { return try await store.increment(session, name, by: delta) } catch { throw VaporSessionsError(error) }
    }

    /// The CSRF synchronizer token of the session, creating an anonymous session when there is none.
    /// It changes at login and at every rotation but a renewal. Put it in a page's forms (field `_csrf`) or give
    /// it to scripts, which send it in the `X-CSRF-Token` header.
    public func csrfToken() async throws(VaporSessionsError) -> String {
        try await currentOrNew().csrfToken
    }
}
