// Routes+Tokens: bearer-token sessions: token, refresh, revoke, JWKS, and the bearer-authenticated /api routes.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdSessions
import SessionHTTP
import SessionStore
import SessionTokens

extension ServerApp {
    /// Routes outside the sessions middleware: they set no session cookie, so they need no CSRF token (`/token` is
    /// a login with credentials in the body; `/token/refresh` and `/token/revoke` carry their token in the body, or
    /// in the `SameSite=Strict` refresh cookie in browser mode).
    static func addTokenRoutes(to router: Router<ServerContext>, store: any SessionStore, settings: ServerSettings) {
        let tokens = settings.tokens
        router.get("/.well-known/jwks.json") { _, _ in
            let jwks = tokens.codec.keys.jwks()
            return Response(status: .ok, headers: [.contentType: "application/jwk-set+json", .cacheControl: "public, max-age=300"],
                            body: .init(byteBuffer: ByteBuffer(bytes: jwks)))
        }
        router.post("/token") { request, context in
            try checkBrowserRequest(request, settings: settings)
            let user = try await authenticatedUser(request, context: context, settings: settings)
            return try tokenResponse(try await withTokenStore { () async throws(TokenError) in try await tokens.issue(user: user) },
                                     settings: settings)
        }
        router.post("/token/refresh") { request, context in
            try checkBrowserRequest(request, settings: settings)
            var presented: String?
            if let body = try? await request.decode(as: RefreshRequest.self, context: context) { presented = body.refresh_token }
            if let cookie = settings.refreshTokenCookie {
                let values = CookieHeader.sessionTokens(named: cookie.name, in: request.headers[values: .cookie])
                if presented == nil, values.count == 1 { presented = values[0] }
            }
            guard let presented else { return invalidGrant(settings: settings) }
            let pair: TokenService.TokenPair
            do throws(TokenError) {
                pair = try await tokens.refresh(presented)
            } catch {
                guard case .unavailable = error else { return invalidGrant(settings: settings) }
                throw APIError(.serviceUnavailable, message: "token store unavailable")
            }
            return try tokenResponse(pair, settings: settings)
        }
        router.post("/token/revoke") { request, context in
            try checkBrowserRequest(request, settings: settings)
            var token = (try? await request.decode(as: RevokeRequest.self, context: context))?.token
            if token == nil, let cookie = settings.refreshTokenCookie {
                let values = CookieHeader.sessionTokens(named: cookie.name, in: request.headers[values: .cookie])
                if values.count == 1 { token = values[0] }
            }
            // RFC 7009 §2.2: 200 whatever the token (unknown, malformed, already revoked, or none at all).
            if let token { try await withTokenStore { () async throws(TokenError) in try await tokens.revoke(token: token) } }
            var response = Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                                    body: .init(byteBuffer: ByteBuffer(string: #"{"status":"revoked"}"#)))
            if let cookie = settings.refreshTokenCookie { response.headers.append(HTTPField(name: .setCookie, value: cookie.setCookie(nil, maxAge: 0))) }
            return response
        }

        let api = router.group("/api").add(middleware: BearerTokenMiddleware<ServerContext>(tokens: tokens))
        api.get("/me") { _, context in
            let claims = try context.requireAccessToken()
            var writer = JSONObjectWriter(capacity: 128 + claims.subject.utf8.count + settings.instanceID.utf8.count)
            writer.field("user", claims.subject)
            writer.field("instance", settings.instanceID)
            writer.field("family", claims.family)
            writer.field("expiresAt", iso8601: Date(timeIntervalSince1970: TimeInterval(claims.expiresAt)))
            return writer.response()
        }
        api.post("/logout-all") { _, context in
            let claims = try context.requireAccessToken()
            let families = try await withTokenStore { () async throws(TokenError) in try await tokens.revokeAll(ofUser: claims.subject) }
            let sessions = try await store.destroySessions(ofUser: claims.subject, keeping: nil)
            return LogoutAllBody(status: "logged out everywhere", families: families, sessions: sessions)
        }
    }

    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// In browser mode the token routes read and set a cookie, so they must not be reachable from another site: the
    /// body must be `application/json` (which a cross-site form cannot send, and a cross-site script cannot without
    /// a CORS preflight, never granted here), and `Sec-Fetch-Site: cross-site` is refused (403). Native clients (the
    /// default mode: no cookie) are not restricted.
    static func checkBrowserRequest(_ request: Request, settings: ServerSettings) throws {
        guard settings.refreshTokenCookie != nil else { return }
        if request.headers[values: secFetchSite].contains(where: { $0.lowercased() == "cross-site" }) {
            throw APIError(.forbidden, message: "cross-site token request")
        }
        let contentType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard contentType == "application/json" else {
            throw APIError(.unsupportedMediaType, message: "expected Content-Type: application/json")
        }
    }

    /// `401 {"error":"invalid_grant"}`, clearing the refresh cookie in browser mode.
    static func invalidGrant(settings: ServerSettings) -> Response {
        var response = Response(status: .unauthorized, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"invalid_grant"}"#)))
        if let cookie = settings.refreshTokenCookie { response.headers.append(HTTPField(name: .setCookie, value: cookie.setCookie(nil, maxAge: 0))) }
        return response
    }

    /// `POST /token/from-session` inside the sessions middleware (CSRF-checked): the logged-in user of the cookie
    /// session gets a token pair. The family is recorded in the session, so that logging out of the session revokes
    /// it (``revokeSessionFamilies(_:settings:)``).
    static func addSessionTokenRoutes(to group: RouterGroup<ServerContext>, settings: ServerSettings) {
        group.post("/token/from-session") { _, context in
            let session = try await requireLogin(context)
            let user = session.user!
            let pair = try await withTokenStore { () async throws(TokenError) in try await settings.tokens.issue(user: user) }
            var families = try await context.sessions.get(sessionFamiliesAttribute, as: [String].self) ?? []
            families.append(pair.claims.family)
            // At most the newest 16 per session: an older one leaves the list revoked, never silently orphaned.
            let dropped = Array(families.dropLast(maximumFamiliesPerSession))
            if !dropped.isEmpty {
                try await withTokenStore { () async throws(TokenError) in try await settings.tokens.revokeFamilies(dropped, ofUser: user) }
            }
            try await context.sessions.set(sessionFamiliesAttribute, to: Array(families.suffix(maximumFamiliesPerSession)))
            return try tokenResponse(pair, settings: settings)
        }
    }

    /// The session attribute listing the token families minted from the session.
    static let sessionFamiliesAttribute = "tokenFamilies"
    /// How many minted families a session keeps (and revokes at its logout).
    static let maximumFamiliesPerSession = 16

    /// Revokes the families minted from the current session (before its logout).
    static func revokeSessionFamilies(_ context: ServerContext, settings: ServerSettings) async throws {
        guard let session = try await context.sessions.current(), let user = session.user,
              let families = try await context.sessions.get(sessionFamiliesAttribute, as: [String].self) else { return }
        try await withTokenStore { () async throws(TokenError) in try await settings.tokens.revokeFamilies(families, ofUser: user) }
    }

    /// Runs a token operation whose only failure is the store's (`.unavailable`): 503, fail closed.
    @discardableResult
    static func withTokenStore<Value>(_ operation: () async throws(TokenError) -> Value) async throws -> Value {
        do {
            return try await operation()
        } catch {
            throw APIError(.serviceUnavailable, message: "token store unavailable")
        }
    }

    /// `{"access_token","token_type","expires_in","refresh_token"}` with `Cache-Control: no-store` (RFC 6749 §5.1);
    /// in browser mode the refresh token goes in its cookie instead of the body.
    static func tokenResponse(_ pair: TokenService.TokenPair, settings: ServerSettings) throws -> Response {
        let cookie = settings.refreshTokenCookie
        var writer = JSONObjectWriter(capacity: 128 + pair.accessToken.utf8.count + pair.refreshToken.utf8.count)
        writer.field("access_token", pair.accessToken)
        writer.field("token_type", "Bearer")
        writer.field("expires_in", integer: pair.expiresIn)
        if cookie == nil { writer.field("refresh_token", pair.refreshToken) }
        var response = writer.response()
        response.headers[.cacheControl] = "no-store"
        if let cookie {
            // The cookie lives as long as its family can: the time left to the family's absolute expiry.
            let maxAge = max(0, (pair.refreshTokenExpiresAt - Int64(Date().timeIntervalSince1970 * 1000)) / 1000)
            response.headers.append(HTTPField(name: .setCookie, value: cookie.setCookie(pair.refreshToken, maxAge: maxAge)))
        }
        return response
    }
}
