// VaporRequestSessions+Login: login, renewal, privilege change and logout on the per-request session handle.

import Foundation
import SessionStore

extension VaporRequestSessions {
    /// Logs `user` in: the session (anonymous, or already `user`'s) gets a new token bound to `user` (rotation
    /// `.login(user:)`) with everything stored in it (writes of parallel requests included), and the pre-login
    /// token is dead at once (no session fixation); the CSRF token changes too. Pending changes are saved first.
    /// A session bound to another user is destroyed instead, and `user` gets a fresh one, so nothing of one
    /// user's session reaches another's. A session reached through a renewed-away token (its successor belongs to
    /// the request that renewed it) is refused with 409. Given an `authentication`, the session records it
    /// (``SessionStore/Session/authentication``: time, method, user agent, address) in the same round trip, and
    /// `remember` gives it the remember-me lifetime.
    ///
    /// ```swift
    /// app.post("login") { req async throws -> HTTPStatus in
    ///     let user = try await authenticate(req)            // the app's own credential check
    ///     try await req.sessions.login(user: user.id)
    ///     return .noContent
    /// }
    /// ```
    public func login(user: String, authentication: Authentication? = nil) async throws(VaporSessionsError) {
        let store = try boundStore()
        let session = try await current()
        do {
            replace(with: try await store.logIn(session, user: user, authentication: authentication))
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

    /// Records a re-authentication of the session's user (who just proved their identity again): the token is
    /// replaced as for a privilege change and ``SessionStore/Session/authentication`` becomes `authentication`.
    /// - Returns: `false` when there is no session.
    @discardableResult
    public func reauthenticate(_ authentication: Authentication) async throws(VaporSessionsError) -> Bool {
        try await rotate(.privilegeChange, authentication: authentication)
    }

    /// The session of a user who authenticated within `window`.
    /// - Throws: ``VaporSessionsError`` 401 `"not logged in"`, 401 `"reauthentication required"`, 503.
    @discardableResult
    public func requireRecentAuthentication(within window: Duration, now: Date = Date()) async throws(VaporSessionsError) -> Session {
        guard let session = try await current(), session.user != nil else {
            throw VaporSessionsError(.unauthorized, "not logged in")
        }
        guard let authentication = session.authentication, authentication.isRecent(within: window, now: now) else {
            throw VaporSessionsError(.unauthorized, "reauthentication required")
        }
        return session
    }

    private func rotate(_ kind: RotationKind, authentication: Authentication? = nil) async throws(VaporSessionsError) -> Bool {
        let store = try boundStore()
        guard let session = try await current() else { return false }
        do {
            replace(with: try await store.saveAndRotate(session, kind, authentication: authentication))
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
