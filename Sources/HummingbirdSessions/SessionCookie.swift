// SessionCookie: strict parsing of our cookie out of Cookie headers, and the Set-Cookie values we send.

import Foundation
import SessionStore

/// Reads and writes the session cookie.
///
/// Parsing rules (strict, documented in ``SessionsMiddleware``):
/// - the name must match exactly, byte for byte (`__host-sid` is not `__Host-sid`);
/// - values that are not well-formed session tokens are ignored;
/// - duplicates are kept as distinct candidates; the middleware uses a candidate only when it is the single
///   one that loads, so a cookie an attacker adds next to a valid one can never be chosen over it.
enum SessionCookie {
    /// The distinct well-formed token values of cookie `name` in the given `Cookie` header values, in order.
    static func candidates(named name: String, in headers: [String]) -> [String] {
        var found: [String] = []
        for header in headers {
            for pair in header.split(separator: ";", omittingEmptySubsequences: true) {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                let key = trimmed(pair[pair.startIndex..<equals])
                guard key.utf8.elementsEqual(name.utf8) else { continue }
                let value = trimmed(pair[pair.index(after: equals)...])
                guard SessionToken(value) != nil else { continue }  // exact length and alphabet, no quotes
                let text = String(value)
                if !found.contains(text) { found.append(text) }
            }
        }
        return found
    }

    /// Removes spaces and tabs around a cookie name or value.
    private static func trimmed(_ text: Substring) -> Substring {
        var result = text
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }

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
