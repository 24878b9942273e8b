// VaporSessionCookie: the Set-Cookie values the Vapor middleware sends, and their Max-Age.

import Foundation
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
        var parts = ["\(configuration.cookieName)=\(value)", "Max-Age=\(max(0, maxAge))", "Path=/"]
        if configuration.secure { parts.append("Secure") }
        parts.append("HttpOnly")
        parts.append("SameSite=\(configuration.sameSite.rawValue)")
        return parts.joined(separator: "; ")
    }

    /// Whole seconds of `Max-Age` for a session: its remaining absolute lifetime, capped by the configuration.
    ///
    /// Measured both from the store's time of the session's last access (the store's "now" when the session was
    /// created or rotated, the only times the cookie is set) and from this server's clock; the smaller is used,
    /// so a clock skew between app server and store never makes the cookie outlive the session.
    static func maxAge(for session: StoredSession, configuration: VaporSessionsConfiguration, now: Date = Date()) -> Int {
        var seconds = min(
            session.absoluteExpiry.timeIntervalSince(session.lastAccessAt),
            session.absoluteExpiry.timeIntervalSince(now)
        )
        if let cap = configuration.maximumCookieAge {
            seconds = min(seconds, Double(cap.components.seconds))
        }
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int(seconds.rounded(.down))
    }
}
