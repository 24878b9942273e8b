// SessionCookieWriter: the session cookie's Set-Cookie value and Max-Age, shared by the framework middlewares.

import Foundation
import SessionStore

/// Writes the session cookie that ``CookieHeader`` reads back: `<name>=<value>; Max-Age=…; Path=/[; Secure];
/// HttpOnly; SameSite=…`, with no `Domain` (a `__Host-` name requires that).
package enum SessionCookieWriter {
    /// The `Set-Cookie` value. `value` is a fresh token from the store (or empty to clear), never request data.
    package static func header(name: String, value: String, maxAge: Int, secure: Bool, sameSite: String) -> String {
        var parts = ["\(name)=\(value)", "Max-Age=\(max(0, maxAge))", "Path=/"]
        if secure { parts.append("Secure") }
        parts.append("HttpOnly")
        parts.append("SameSite=\(sameSite)")
        return parts.joined(separator: "; ")
    }

    /// Whole seconds of `Max-Age` for a session: its remaining absolute lifetime, capped by `cap`.
    ///
    /// The remaining lifetime is measured both from the store's time of the session's last access (set to the
    /// store's "now" when the session is created or rotated, the only times the cookie is set) and from this
    /// server's clock, and the smaller is used, so a clock skew between app server and store never makes the
    /// cookie outlive the session.
    package static func maxAge(for session: Session, cap: Duration?, now: Date = Date()) -> Int {
        var seconds = min(
            session.absoluteExpiry.timeIntervalSince(session.lastAccessAt),
            session.absoluteExpiry.timeIntervalSince(now)
        )
        if let cap { seconds = min(seconds, Double(cap.components.seconds)) }
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int(seconds.rounded(.down))
    }
}
