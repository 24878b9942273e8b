// VaporSessionCookie: the Set-Cookie values the Vapor middleware sends, and their Max-Age.

import Foundation
import SessionHTTP
import SessionStore

/// Writes the session cookie (`CookieHeader` in `SessionHTTP` reads it).
enum VaporSessionCookie {
    /// A `Set-Cookie` value that sets `token` for at most `maxAge` seconds.
    /// The token is a fresh base64url string from the store, so nothing from the request reaches the header.
    static func setting(_ token: SessionToken, maxAge: Int, configuration: VaporSessionsConfiguration) -> String {
        header(value: token.rawValue, maxAge: maxAge, configuration: configuration)
    }

    /// A `Set-Cookie` value that deletes the cookie.
    static func clearing(configuration: VaporSessionsConfiguration) -> String {
        header(value: "", maxAge: 0, configuration: configuration)
    }

    private static func header(value: String, maxAge: Int, configuration: VaporSessionsConfiguration) -> String {
        SessionCookieWriter.header(name: configuration.cookieName, value: value, maxAge: maxAge, secure: configuration.secure,
                                   sameSite: configuration.sameSite.rawValue)
    }

    /// Whole seconds of `Max-Age` for a session: its remaining absolute lifetime (the smaller of the store's and this
    /// server's view), capped by the configuration (``SessionCookieWriter/maxAge(for:cap:now:)``).
    static func maxAge(for session: StoredSession, configuration: VaporSessionsConfiguration, now: Date = Date()) -> Int {
        SessionCookieWriter.maxAge(for: session, cap: configuration.maximumCookieAge, now: now)
    }
}
