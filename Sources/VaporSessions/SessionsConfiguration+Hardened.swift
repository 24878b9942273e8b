// SessionsConfiguration+Hardened: a `__Host-` Secure HttpOnly cookie for Vapor's own SessionsMiddleware.

import Vapor

extension SessionsConfiguration {
    /// Vapor's `SessionsConfiguration` with a hardened cookie, for ``SessionStoreDriver`` under Vapor's own
    /// `SessionsMiddleware`: `__Host-vapor-session` (no `Domain`, `Path=/`), `Secure`, `HttpOnly`, `SameSite`
    /// (default `Lax`) and a `Max-Age` instead of Vapor's default one-week `Expires` on a cookie that is neither
    /// `Secure` nor `HttpOnly`.
    ///
    /// ```swift
    /// app.sessions.configuration = .hardened(maxAge: 12 * 3600)   // the store's absolute timeout, say
    /// ```
    /// - Parameters:
    ///   - cookieName: the cookie's name; keep the `__Host-` prefix (browsers then refuse the cookie from a
    ///     sibling subdomain or over plain HTTP).
    ///   - maxAge: the cookie's `Max-Age` in seconds; set it to the store's absolute timeout. Default 12 hours.
    ///   - sameSite: the `SameSite` policy. Default `.lax`.
    public static func hardened(
        cookieName: String = "__Host-vapor-session",
        maxAge: Int = 12 * 3600,
        sameSite: HTTPCookies.SameSitePolicy = .lax
    ) -> SessionsConfiguration {
        SessionsConfiguration(cookieName: cookieName) { id in
            HTTPCookies.Value(
                string: id.string, expires: nil, maxAge: maxAge, domain: nil, path: "/",
                isSecure: true, isHTTPOnly: true, sameSite: sameSite
            )
        }
    }
}
