// RequestSessions+Login: login, renewal, privilege change and logout on the per-request session handle.

import SessionStore

extension RequestSessions {
    /// Logs `user` in: the session (anonymous, or already `user`'s) gets a new token bound to `user` (rotation
    /// `.login(user:)`) with everything stored in it (writes of parallel requests included), and the pre-login
    /// token is dead at once. Pending changes are saved first. A session bound to another user is destroyed
    /// instead, and `user` gets a fresh one, so nothing of one user's session reaches another's. A session reached
    /// through a renewed-away token (its successor belongs to the request that renewed it) is refused with 409.
    public func login(user: String) async throws(SessionsError) {
        let store = try boundStore()
        guard var session = try await current() else {
            do { replace(with: try await store.create(user: user)) } catch { throw SessionsError(error) }
            return
        }
        // Reached through a renewed-away token: another request rotated it and handed its client the successor.
        if session.reachedThroughGrace {
            throw SessionsError(SessionStoreError(.alreadyRotated, "\(session.identity) was reached through a renewed-away token"))
        }
        if let previous = session.user, previous != user {
            do {
                do throws(SessionStoreError) { try await store.destroy(session) } catch where error.code == .notFound {}
                replace(with: try await store.create(user: user))
            } catch {
                throw SessionsError(error)
            }
            return
        }
        do throws(SessionStoreError) {
            if session.hasChanges { try await store.save(&session) }
            replace(with: try await store.rotate(session, .login(user: user)))
        } catch {
            throw SessionsError(error)
        }
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

    private func rotate(_ kind: RotationKind) async throws(SessionsError) -> Bool {
        let store = try boundStore()
        guard var session = try await current() else { return false }
        do {
            if session.hasChanges { try await store.save(&session) }
            replace(with: try await store.rotate(session, kind))
        } catch {
            throw SessionsError(error)
        }
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
