// SessionStore+Login: the login and rotation steps every framework adapter performs the same way.

extension SessionStore {
    /// Logs `user` in on the request's `current` session, the way the framework middlewares do:
    /// - no session: a new one bound to `user`;
    /// - a session bound to another user: it is destroyed and `user` gets a new one (nothing of one user's session
    ///   reaches another's);
    /// - else its pending changes are saved and it is rotated with `.login(user:)` (every stored write kept, the
    ///   pre-login token dead at once).
    ///
    /// `authentication` is recorded in the same round trip as the rotation (``Session/authentication``).
    /// - Throws: ``SessionStoreError`` `.alreadyRotated` for a session reached through a renewed-away token (its
    ///   successor belongs to the request that renewed it), and whatever the store operations throw.
    public func logIn(_ current: Session?, user: String, authentication: Authentication? = nil) async throws(SessionStoreError) -> Session {
        guard var session = current else {
            return try await create(user: user, attributes: [:], authentication: authentication)
        }
        if session.reachedThroughGrace {
            throw SessionStoreError(.alreadyRotated, "\(session.identity) was reached through a renewed-away token")
        }
        if let previous = session.user, previous != user {
            do throws(SessionStoreError) { try await destroy(session) } catch where error.code == .notFound {}
            return try await create(user: user, attributes: [:], authentication: authentication)
        }
        if session.hasChanges { try await save(&session) }
        return try await rotate(session, .login(user: user), authentication: authentication)
    }

    /// Saves the session's pending changes, then rotates it (renewal, privilege change or re-authentication).
    public func saveAndRotate(_ session: Session, _ kind: RotationKind, authentication: Authentication? = nil) async throws(SessionStoreError) -> Session {
        var session = session
        if session.hasChanges { try await save(&session) }
        return try await rotate(session, kind, authentication: authentication)
    }
}
