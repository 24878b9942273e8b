// VaporRequestSessions+Login: login, renewal, privilege change and logout on the per-request session handle.

import SessionStore

extension VaporRequestSessions {
    /// Logs `user` in: the session (anonymous, or already `user`'s) gets a new token bound to `user` (rotation
    /// `.login(user:)`) with everything stored in it (writes of parallel requests included), and the pre-login
    /// token is dead at once (no session fixation); the CSRF token changes too. Pending changes are saved first.
    /// A session bound to another user is destroyed instead, and `user` gets a fresh one, so nothing of one
    /// user's session reaches another's. A session reached through a renewed-away token (its successor belongs to
    /// the request that renewed it) is refused with 409.
    ///
    /// ```swift
    /// app.post("login") { req async throws -> HTTPStatus in
    ///     let user = try await authenticate(req)            // the app's own credential check
    ///     try await req.sessions.login(user: user.id)
    ///     return .noContent
    /// }
    /// ```
    public func login(user: String) async throws(VaporSessionsError) {
        let store = try boundStore()
        guard var session = try await current() else {
            do { replace(with: try await store.create(user: user)) } catch { throw VaporSessionsError(error) }
            return
        }
        if session.reachedThroughGrace {
            throw VaporSessionsError(SessionStoreError(.alreadyRotated, "\(session.identity) was reached through a renewed-away token"))
        }
        if let previous = session.user, previous != user {
            do {
                do throws(SessionStoreError) { try await store.destroy(session) } catch where error.code == .notFound {}
                replace(with: try await store.create(user: user))
            } catch {
                throw VaporSessionsError(error)
            }
            return
        }
        do throws(SessionStoreError) {
            if session.hasChanges { try await store.save(&session) }
            replace(with: try await store.rotate(session, .login(user: user)))
        } catch {
            throw VaporSessionsError(error)
        }
    }

    /// Renews the session's token (rotation `.renewal`: the old token keeps working for the grace window).
    /// - Returns: `false` when there is no session.
    @discardableResult
    public func renew() async throws(VaporSessionsError) -> Bool {
        try await rotate(.renewal)
    }

    /// Replaces the token after a privilege change (the old token is dead at once).
    /// - Returns: `false` when there is no session.
    @discardableResult
    public func changePrivileges() async throws(VaporSessionsError) -> Bool {
        try await rotate(.privilegeChange)
    }

    private func rotate(_ kind: RotationKind) async throws(VaporSessionsError) -> Bool {
        let store = try boundStore()
        guard var session = try await current() else { return false }
        do {
            if session.hasChanges { try await store.save(&session) }
            replace(with: try await store.rotate(session, kind))
        } catch {
            throw VaporSessionsError(error)
        }
        return true
    }

    /// Ends the session (nothing brings it back) and makes the response expire the cookie.
    public func logout() async throws(VaporSessionsError) {
        let store = try boundStore()
        if let session = try await current() {
            do { try await store.destroy(session) } catch where error.code == .notFound {} catch { throw VaporSessionsError(error) }
        }
        clear()
    }
}
