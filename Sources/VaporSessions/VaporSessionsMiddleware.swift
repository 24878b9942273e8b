// VaporSessionsMiddleware: gives Vapor handlers the session from a SessionStore, with a hardened cookie and CSRF.

import Logging
import SessionHTTP
import SessionStore
import Vapor

/// Middleware that binds each request to its session in a `SessionStore`, with the guarantees of the
/// Hummingbird middleware (Vapor's own `SessionsMiddleware` has none of them; see the README's table).
///
/// ```swift
/// let store = try RedisSessionStore(redis: redis, keyring: keyring)
/// app.middleware.use(try VaporSessionsMiddleware(store: store))
/// app.post("login") { req async throws -> String in
///     try await req.sessions.login(user: try await checkCredentials(req))
///     return try await req.sessions.csrfToken()
/// }
/// ```
///
/// For each request it:
/// 1. refuses `Cookie` headers longer than ``VaporSessionsConfiguration/maximumCookieHeaderBytes`` with 431;
/// 2. collects the cookie candidates: exact-name matches whose values are well-formed tokens (malformed values
///    are ignored, never an error). The session is used only when exactly one distinct candidate loads; when
///    several load, none is used (a cookie an attacker plants beside a valid one never takes over);
/// 3. for POST, PUT, PATCH and DELETE, runs the CSRF checks (``VaporSessionsConfiguration/csrfExemptPaths``
///    skip them): `Sec-Fetch-Site: cross-site` or a foreign `Origin` → 403; the session's synchronizer token
///    must come in the `X-CSRF-Token` header or the `_csrf` form field, compared in constant time → else 403;
/// 4. runs the handler, which reaches the session through `req.sessions` (loaded on first use);
/// 5. saves the changed attributes only, and sets or expires the `__Host-` cookie; every response of a request
///    that used a session (or changed the cookie) gets `Cache-Control: no-store`.
///
/// Failures are JSON `{"error": "..."}` responses: an unavailable store gives 503 (fail closed), never 500.
/// Errors of the handler pass through to Vapor's `ErrorMiddleware` as usual, unless the handler changed the
/// cookie first (a login, a logout): then the middleware answers them itself so that the cookie change is sent.
public struct VaporSessionsMiddleware: AsyncMiddleware {
    let store: any SessionStore
    let configuration: VaporSessionsConfiguration
    let csrf: VaporCSRFProtection

    /// Creates the middleware.
    /// - Parameters:
    ///   - store: where sessions live (`MemorySessionStore`, `RedisSessionStore`, …).
    ///   - configuration: cookie and CSRF settings (secure by default).
    /// - Throws: `SessionStoreError` `.invalidConfiguration` (see ``VaporSessionsConfiguration/validate()``).
    public init(store: any SessionStore, configuration: VaporSessionsConfiguration = .init()) throws(SessionStoreError) {
        try configuration.validate()
        self.store = store
        self.configuration = configuration
        self.csrf = VaporCSRFProtection(configuration: configuration)
    }

    /// Handles one request.
    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let cookieHeaders = request.headers[.cookie]
        let cookieBytes = cookieHeaders.reduce(0) { $0 + $1.utf8.count }
        guard cookieBytes <= configuration.maximumCookieHeaderBytes else {
            VaporSessionsMetrics.refused(.oversizedCookie)
            request.logger.debug("cookie header too large", metadata: ["bytes": "\(cookieBytes)"])
            return VaporSessionsError(.requestHeaderFieldsTooLarge, "cookie header too large").response()
        }
        var candidates = CookieHeader.sessionTokens(named: configuration.cookieName, in: cookieHeaders)
        if candidates.count > configuration.maximumCookieCandidates {
            VaporSessionsMetrics.refused(.ambiguousCookies)
            request.logger.debug("too many session cookies; ignoring them", metadata: ["count": "\(candidates.count)"])
            candidates = []
        }
        let sessions = VaporRequestSessions(store: store, candidates: candidates, logger: request.logger)
        request.storage[Request.SessionsKey.self] = sessions

        var response: Response
        do {
            if csrf.applies(to: request) {
                try await csrf.check(request, sessions: sessions)
            }
            response = try await next.respond(to: request)
            try await sessions.saveChanges()
        } catch let error as SessionStoreError {
            // The handler used the store directly; its failures map the same way (503 when unavailable).
            response = refusal(VaporSessionsError(error), logger: request.logger)
        } catch let error as VaporSessionsError {
            response = refusal(error, logger: request.logger)
        } catch {
            // Vapor's ErrorMiddleware answers other errors, unless a cookie change (a login that already rotated,
            // a logout) must reach the client: then they are answered here, with their status when they have one.
            guard sessions.hasCookieChange else { throw error }
            response = handlerFailure(error, logger: request.logger)
        }
        if let cookie = sessions.setCookieHeader(configuration: configuration) {
            response.headers.add(name: .setCookie, value: cookie)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        } else if sessions.usedSession {
            // A response built from a session is that user's: no shared or browser cache may keep it.
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return response
    }

    /// Logs and counts a refusal, and makes its response.
    private func refusal(_ error: VaporSessionsError, logger: Logger) -> Response {
        if error.status == .forbidden {
            logger.debug("request refused", metadata: ["reason": "\(error.message)"])
        } else if error.status == .serviceUnavailable {
            VaporSessionsMetrics.refused(.storeUnavailable)
            logger.warning("session store unavailable", metadata: ["error": "\(error.storeError.map { "\($0)" } ?? error.message)"])
        }
        return error.response()
    }

    /// The response to a handler error thrown after the handler changed the cookie: an `AbortError` keeps its
    /// status, headers and reason; anything else is a 500 that says nothing more.
    private func handlerFailure(_ error: any Error, logger: Logger) -> Response {
        if let abort = error as? any AbortError {
            return VaporSessionsError.jsonResponse(status: abort.status, message: abort.reason, headers: abort.headers)
        }
        logger.error("handler failed after changing the session", metadata: ["error": "\(error)"])
        return VaporSessionsError.jsonResponse(status: .internalServerError, message: "internal error")
    }
}
