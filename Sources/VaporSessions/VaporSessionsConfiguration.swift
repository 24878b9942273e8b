// VaporSessionsConfiguration: cookie, CSRF and limit settings of the Vapor sessions middleware, secure by default.

import SessionStore

/// How ``VaporSessionsMiddleware`` names and protects the session cookie and checks state-changing requests.
///
/// The defaults are the secure ones: a `__Host-sid` cookie with `Secure`, `HttpOnly`, `SameSite=Lax`,
/// `Path=/` and no `Domain`. Settings that weaken this (no `Secure` flag, a name without the `__Host-` prefix)
/// are refused by ``validate()`` unless ``insecureCookies`` is set, which is meant for plain-HTTP development
/// only (see ``insecureLocal()``). The fields and their defaults are those of the Hummingbird middleware.
public struct VaporSessionsConfiguration: Sendable {
    /// The `SameSite` attribute of the session cookie.
    public enum SameSite: String, Sendable {
        /// Sent on same-site requests and top-level cross-site navigations (the default).
        case lax = "Lax"
        /// Sent on same-site requests only.
        case strict = "Strict"
        /// Sent everywhere; requires `Secure`.
        case none = "None"
    }

    /// The cookie's name. Default `__Host-sid`; without the `__Host-` prefix only with ``insecureCookies``.
    public var cookieName = "__Host-sid"
    /// Whether the cookie carries `Secure`. Default `true`; `false` only with ``insecureCookies``.
    public var secure = true
    /// The cookie's `SameSite` attribute. Default `.lax`.
    public var sameSite = SameSite.lax
    /// An upper bound for the cookie's `Max-Age`; it never exceeds the session's remaining absolute lifetime.
    /// Default `nil` (the remaining lifetime).
    public var maximumCookieAge: Duration?
    /// The explicit opt-in to insecure cookie settings (plain-HTTP local development): allows a name without
    /// `__Host-` and no `Secure` flag. Without `Secure`, the request's own origin is `http://<Host>` instead of
    /// `https://<Host>`. Default `false`.
    public var insecureCookies = false
    /// Requests whose `Cookie` headers together are longer than this get 431. Default 8 KiB.
    public var maximumCookieHeaderBytes = 8 * 1024
    /// At most this many distinct well-formed cookies of our name are looked up; more means no session. Default 3.
    public var maximumCookieCandidates = 3

    /// Paths (exact match) whose POST/PUT/PATCH/DELETE requests skip the CSRF checks (webhooks, for example).
    /// Handlers on these paths must not rely on the session for authorization of state changes. Default none.
    public var csrfExemptPaths: Set<String> = []
    /// Origins besides the request's own that may send state-changing requests, such as
    /// `https://app.example.com` (scheme, host and port; compared case-insensitively). Default none.
    public var allowedOrigins: Set<String> = []
    /// The header that carries the CSRF token. Default `X-CSRF-Token`.
    public var csrfHeaderName = "X-CSRF-Token"
    /// The `application/x-www-form-urlencoded` field that carries the CSRF token. Default `_csrf`.
    public var csrfFormField = "_csrf"
    /// The largest form body read to find the CSRF field; larger bodies get 413. Default 64 KiB.
    public var maximumFormBytes = 64 * 1024

    /// The secure defaults.
    public init() {}

    /// Settings for plain-HTTP local development: cookie `sid` without `Secure`, ``insecureCookies`` set.
    public static func insecureLocal() -> VaporSessionsConfiguration {
        var configuration = VaporSessionsConfiguration()
        configuration.cookieName = "sid"
        configuration.secure = false
        configuration.insecureCookies = true
        return configuration
    }

    /// Checks the settings.
    /// - Throws: `SessionStoreError` `.invalidConfiguration` for an invalid cookie name, insecure settings
    ///   without ``insecureCookies``, `SameSite=None` without `Secure`, or non-positive limits.
    public func validate() throws(SessionStoreError) {
        guard !cookieName.isEmpty, cookieName.utf8.allSatisfy(Self.isTokenCharacter) else {
            throw SessionStoreError(.invalidConfiguration, "the cookie name must be a non-empty HTTP token")
        }
        if !insecureCookies {
            guard cookieName.hasPrefix("__Host-") else {
                throw SessionStoreError(.invalidConfiguration, "a cookie name without the __Host- prefix needs insecureCookies")
            }
            guard secure else {
                throw SessionStoreError(.invalidConfiguration, "a cookie without Secure needs insecureCookies")
            }
        }
        if cookieName.hasPrefix("__Host-") && !secure {
            throw SessionStoreError(.invalidConfiguration, "browsers drop __Host- cookies without Secure")
        }
        if sameSite == .none && !secure {
            throw SessionStoreError(.invalidConfiguration, "SameSite=None requires Secure")
        }
        guard maximumCookieHeaderBytes > 0, maximumCookieCandidates > 0, maximumFormBytes > 0 else {
            throw SessionStoreError(.invalidConfiguration, "limits must be positive")
        }
        guard !csrfHeaderName.isEmpty, csrfHeaderName.utf8.allSatisfy(Self.isTokenCharacter), !csrfFormField.isEmpty else {
            throw SessionStoreError(.invalidConfiguration, "the CSRF header must be an HTTP token and the form field non-empty")
        }
    }

    /// RFC 9110 `tchar`.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
