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
    ///
    /// Scans UTF-8 bytes (this runs on every request): `;` separates pairs, the first `=` ends a name, and spaces
    /// and tabs around names and values are ignored. A value becomes a candidate only if it is a well-formed token.
    static func candidates(named name: String, in headers: [String]) -> [String] {
        var found: [String] = []
        for header in headers {
            let bytes = header.utf8
            var start = bytes.startIndex
            while start < bytes.endIndex {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
                let pair = bytes[start..<end]
                start = end < bytes.endIndex ? bytes.index(after: end) : end
                guard let equals = pair.firstIndex(of: UInt8(ascii: "=")),
                      trimmed(pair[pair.startIndex..<equals]).elementsEqual(name.utf8)
                else { continue }
                let value = Substring(trimmed(pair[bytes.index(after: equals)...]))
                guard let token = SessionToken(value) else { continue }  // exact length and alphabet, no quotes
                if !found.contains(token.rawValue) { found.append(token.rawValue) }
            }
        }
        return found
    }

    /// Removes spaces and tabs around a cookie name or value.
    private static func trimmed(_ bytes: Substring.UTF8View) -> Substring.UTF8View {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }) else { return bytes[bytes.endIndex...] }
        let last = bytes.lastIndex(where: { !isBlank($0) })!
        return bytes[first...last]
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
