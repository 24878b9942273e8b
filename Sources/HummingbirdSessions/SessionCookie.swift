// SessionCookie: the Set-Cookie values the middleware sends, and their Max-Age.

import Foundation
import SessionStore

/// Writes the session cookie (``CookieHeader`` in `SessionHTTP` reads it).
enum SessionCookie {
    /// A `Set-Cookie` value that sets `token` for at most `maxAge` seconds.
    /// The token is a fresh base64url string from the store, so nothing from the request reaches the header.
    static func setting(_ token: SessionToken, maxAge: Int, configuration: SessionsConfiguration) -> String {
        header(value: token.rawValue, maxAge: maxAge, configuration: configuration)
    }

    /// A `Set-Cookie` value that deletes the cookie.
    static func clearing(configuration: SessionsConfiguration) -> String {
        header(value: "", maxAge: 0, configuration: configuration)
    }

    private static func header(value: String, maxAge: Int, configuration: SessionsConfiguration) -> String {
        var parts = ["\(configuration.cookieName)=\(value)", "Max-Age=\(max(0, maxAge))", "Path=/"]
        if configuration.secure { parts.append("Secure") }
        parts.append("HttpOnly")
        parts.append("SameSite=\(configuration.sameSite.rawValue)")
        return parts.joined(separator: "; ")
    }

    /// Whole seconds of `Max-Age` for a session: its remaining absolute lifetime, capped by the configuration.
    ///
    /// The remaining lifetime is measured both from the store's time of the session's last access (set to the
    /// store's "now" when the session is created or rotated, the only times the cookie is set) and from this
    /// server's clock, and the smaller is used, so a clock skew between app server and store never makes the
    /// cookie outlive the session.
    static func maxAge(for session: Session, configuration: SessionsConfiguration, now: Date = Date()) -> Int {
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
