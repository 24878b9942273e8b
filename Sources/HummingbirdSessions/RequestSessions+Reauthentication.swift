// RequestSessions+Reauthentication: requiring a recent login before sensitive actions.

import Foundation
import SessionStore

extension RequestSessions {
    /// The session of a user who authenticated within `window` (by login or ``reauthenticate(_:)``).
    ///
    /// ```swift
    /// router.post("/account/delete") { _, context in
    ///     let session = try await context.sessions.requireRecentAuthentication(within: .seconds(600))
    ///     …
    /// }
    /// ```
    /// - Throws: ``SessionsError`` 401 `"not logged in"` without a user's session; 401
    ///   `"reauthentication required"` when the user authenticated longer ago than `window`, or when the login
    ///   recorded no time (re-authenticate, then retry); 503 when the store is unavailable.
    @discardableResult
    public func requireRecentAuthentication(within window: Duration, now: Date = Date()) async throws(SessionsError) -> Session {
        guard let session = try await current(), session.user != nil else {
            throw SessionsError(.unauthorized, "not logged in")
        }
        guard let authentication = session.authentication, authentication.isRecent(within: window, now: now) else {
            throw SessionsError(.unauthorized, SessionsError.reauthenticationRequired)
        }
        return session
    }
}

extension SessionsError {
    /// The message of the 401 that asks for a re-authentication.
    public static let reauthenticationRequired = "reauthentication required"
}
