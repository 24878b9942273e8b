// VaporRequestSessions+Devices: a user's sessions across devices: list, end one, end the others, end all.

import SessionStore

extension VaporRequestSessions {
    /// Ends every session of the session's user (on all devices) and clears the cookie; for an anonymous
    /// session, the same as ``logout()``.
    public func logoutEverywhere() async throws(VaporSessionsError) {
        let store = try boundStore()
        if let session = try await current() {
            do {
                if let user = session.user {
                    try await store.destroySessions(ofUser: user, keeping: nil)
                }
                try await store.destroy(session)
            } catch where error.code == .notFound {
            } catch {
                throw VaporSessionsError(error)
            }
        }
        clear()
    }

    /// The live sessions of the session's user (empty for anonymous sessions).
    public func sessionsOfUser() async throws(VaporSessionsError) -> [SessionSummary] {
        guard let user = try await current()?.user else { return [] }
        let store = try boundStore()
        do { return try await store.sessions(ofUser: user) } catch { throw VaporSessionsError(error) }
    }

    /// Ends the user's other sessions (on other devices), keeping this one.
    /// - Returns: how many were ended (0 for an anonymous session or none).
    @discardableResult
    public func logoutOtherSessions() async throws(VaporSessionsError) -> Int {
        guard let session = try await current(), let user = session.user else { return 0 }
        let store = try boundStore()
        do { return try await store.destroySessions(ofUser: user, keeping: session) } catch { throw VaporSessionsError(error) }
    }

    /// Ends one session of the user, by a handle from ``sessionsOfUser()``.
    /// - Returns: `false` when there is no such session (or this session is anonymous).
    @discardableResult
    public func endSession(handle: String) async throws(VaporSessionsError) -> Bool {
        guard let user = try await current()?.user else { return false }
        let store = try boundStore()
        do { return try await store.destroySession(ofUser: user, handle: handle) } catch { throw VaporSessionsError(error) }
    }
}
