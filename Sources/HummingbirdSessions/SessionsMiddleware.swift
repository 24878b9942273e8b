// SessionsMiddleware: gives handlers the session from a SessionStore, with a hardened cookie and CSRF checks.

import Hummingbird
import Logging
import SessionHTTP
import SessionStore

/// Middleware that binds each request to its session in a ``SessionStore``.
///
/// For each request it:
/// 1. refuses `Cookie` headers longer than ``SessionsConfiguration/maximumCookieHeaderBytes`` with 431;
/// 2. collects the cookie candidates: exact-name matches whose values are well-formed tokens (malformed values
///    are ignored, never an error). **Which duplicate wins:** the session is used only when exactly one distinct
///    candidate loads; when several load, none is used (so a cookie an attacker plants beside a valid one can
///    never take over, at worst the request runs without a session);
/// 3. for POST, PUT, PATCH and DELETE, runs the CSRF checks (``SessionsConfiguration/csrfExemptPaths`` skip
///    them): `Sec-Fetch-Site: cross-site` or a foreign `Origin` → 403; the session's synchronizer token must
///    come in the `X-CSRF-Token` header or the `_csrf` form field, compared in constant time → else 403;
/// 4. runs the handler, which reaches the session through ``SessionsRequestContext/sessions``;
/// 5. saves the changed attributes only, and sets or clears the cookie; every response of a request that used a
///    session (or changed the cookie) gets `Cache-Control: no-store`.
///
/// Failures are JSON `{"error": "..."}` responses: an unavailable store gives 503 (fail closed), never 500.
public struct SessionsMiddleware<Context: SessionsRequestContext>: RouterMiddleware {
    let store: any SessionStore
    let configuration: SessionsConfiguration
    let csrf: CSRFProtection

    /// Creates the middleware.
    /// - Parameters:
    ///   - store: where sessions live (``MemorySessionStore``, `RedisSessionStore`, …).
    ///   - configuration: cookie and CSRF settings (secure by default).
    /// - Throws: ``SessionStoreError`` `.invalidConfiguration` (see ``SessionsConfiguration/validate()``).
    public init(store: any SessionStore, configuration: SessionsConfiguration = .init()) throws(SessionStoreError) {
        try configuration.validate()
        self.store = store
        self.configuration = configuration
        self.csrf = CSRFProtection(configuration: configuration)
    }

    /// Handles one request.
    public func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let cookieHeaders = request.headers[values: .cookie]
        let cookieBytes = cookieHeaders.reduce(0) { $0 + $1.utf8.count }
        guard cookieBytes <= configuration.maximumCookieHeaderBytes else {
            SessionsMetrics.refused(.oversizedCookie)
            context.logger.debug("cookie header too large", metadata: ["bytes": "\(cookieBytes)"])
            return SessionsError(.requestHeaderFieldsTooLarge, "cookie header too large").response()
        }
        var candidates = CookieHeader.sessionTokens(named: configuration.cookieName, in: cookieHeaders)
        if candidates.count > configuration.maximumCookieCandidates {
            SessionsMetrics.refused(.ambiguousCookies)
            context.logger.debug("too many session cookies; ignoring them", metadata: ["count": "\(candidates.count)"])
            candidates = []
        }
        let sessions = RequestSessions(store: store, candidates: candidates, logger: context.logger)
        var context = context
        context.sessions = sessions
        var request = request

        var response: Response
        do {
            if csrf.applies(to: request) {
                try await csrf.check(&request, sessions: sessions)
            }
            response = try await next(request, context)
            try await sessions.saveChanges()
        } catch let error as SessionStoreError {
            // The handler used the store directly; its failures map the same way (503 when unavailable).
            response = refusal(SessionsError(error), logger: context.logger)
        } catch let error as SessionsError {
            response = refusal(error, logger: context.logger)
        } catch let error as any HTTPResponseError {
            // Keep cookie changes (a login that already rotated) even when the handler failed afterwards.
            response = try error.response(from: request, context: context)
        } catch {
            // Any other error is Hummingbird's 500, unless a cookie change must reach the client.
            guard sessions.hasCookieChange else { throw error }
            context.logger.error("handler failed after changing the session", metadata: ["error": "\(error)"])
            response = SessionsError(.internalServerError, "internal error").response()
        }
        if let cookie = sessions.setCookieHeader(configuration: configuration) {
            response.headers[values: .setCookie].append(cookie)
            response.headers[.cacheControl] = "no-store"
        } else if sessions.usedSession {
            // A response built from a session is that user's: no shared or browser cache may keep it.
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }

    /// Logs and counts a refusal, and makes its response.
    private func refusal(_ error: SessionsError, logger: Logger) -> Response {
        if error.status == .forbidden {
            logger.debug("request refused", metadata: ["reason": "\(error.message)"])
        } else if error.status == .serviceUnavailable {
            SessionsMetrics.refused(.storeUnavailable)
            logger.warning("session store unavailable", metadata: ["error": "\(error.storeError.map { "\($0)" } ?? error.message)"])
        }
        return error.response()
    }
}
