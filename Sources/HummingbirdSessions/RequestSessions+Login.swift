// RequestSessions+Login: login, renewal, privilege change and logout on the per-request session handle.

import SessionStore

extension RequestSessions {
    /// Logs `user` in: the session (anonymous, or already `user`'s) gets a new token bound to `user` (rotation
    /// `.login(user:)`) with everything stored in it (writes of parallel requests included), and the pre-login
    /// token is dead at once. Pending changes are saved first. A session bound to another user is destroyed
    /// instead, and `user` gets a fresh one, so nothing of one user's session reaches another's. A session reached
    /// through a renewed-away token (its successor belongs to the request that renewed it) is refused with 409.
    ///
    /// Given an `authentication`, the session records it in the same store round trip (the time, method, user
    /// agent, address: ``Session/authentication``, what ``RequestSessions/requireRecentAuthentication(within:)``
    /// checks), and `remember` gives it the remember-me lifetime (the cookie's `Max-Age` follows).
    public func login(user: String, authentication: Authentication? = nil) async throws(SessionsError) {
        let store = try boundStore()
        let session = try await current()
        do { replace(with: try await store.logIn(session, user: user, authentication: authentication)) } catch { throw SessionsError(error) }
    }

    /// Renews the session's token (rotation `.renewal`: the old token keeps working for the grace window).
    /// - Returns: `false` when there is no session.
    @discardableResult
    public func renew() async throws(SessionsError) -> Bool {
        try await rotate(.renewal)
    }

    /// Replaces the token after a privilege change (the old token is dead at once).
    /// - Returns: `false` when there is no session.
    @discardableResult
    public func changePrivileges() async throws(SessionsError) -> Bool {
        try await rotate(.privilegeChange)
    }

    /// Records a re-authentication of the session's user (who just proved their identity again, for a sensitive
    /// action): the token is replaced as for a privilege change and ``Session/authentication`` becomes
    /// `authentication`, with the store's time, in one round trip.
    /// - Returns: `false` when there is no session.
    @discardableResult
    public func reauthenticate(_ authentication: Authentication) async throws(SessionsError) -> Bool {
        try await rotate(.privilegeChange, authentication: authentication)
    }

    private func rotate(_ kind: RotationKind, authentication: Authentication? = nil) async throws(SessionsError) -> Bool {
        let store = try boundStore()
        guard let session = try await current() else { return false }
        do { replace(with: try await store.saveAndRotate(session, kind, authentication: authentication)) } catch { throw SessionsError(error) }
        return true
    }

    /// Ends the session (nothing brings it back) and clears the cookie.
    public func logout() async throws(SessionsError) {
        let store = try boundStore()
        if let session = try await current() {
            do { try await store.destroy(session) } catch where error.code == .notFound {} catch { throw SessionsError(error) }
        }
        clear()
    }
}
