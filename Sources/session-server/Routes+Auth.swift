// Routes+Auth: CSRF token, login, current user, renewal and logout.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdSessions
import SessionHTTP
import SessionStore
import SessionTokens

extension ServerApp {
    static func addAuthRoutes(to group: RouterGroup<ServerContext>, settings: ServerSettings) {
        group.get("/csrf") { _, context in
            CSRFBody(csrfToken: try await context.sessions.csrfToken())
        }
        group.post("/login") { request, context in
            let credentials = try await verifiedCredentials(request, context: context, settings: settings)
            let details = authentication(request, context: context, settings: settings, remember: credentials.remember == true)
            try await context.sessions.login(user: credentials.username, authentication: details)
            return LoginBody(user: credentials.username, csrfToken: try await context.sessions.csrfToken())
        }
        group.post("/reauth") { request, context in
            let session = try await requireLogin(context)
            let body: ReauthRequest
            do {
                body = try await request.decode(as: ReauthRequest.self, context: context)
            } catch {
                throw APIError(.badRequest, message: "expected JSON {\"password\"}")
            }
            guard let user = session.user, settings.users.verify(user: user, password: body.password) else {
                throw APIError(.unauthorized, message: "invalid password")
            }
            try await context.sessions.reauthenticate(authentication(request, context: context, settings: settings, remember: false))
            return CSRFBody(csrfToken: try await context.sessions.csrfToken())
        }
        group.get("/me") { _, context in
            let session = try await requireLogin(context)
            return MeBody(
                user: session.user ?? "",
                instance: settings.instanceID,
                createdAt: session.createdAt,
                expiresAt: session.expiresAt
            )
        }
        group.post("/renew") { _, context in
            _ = try await requireLogin(context)
            guard try await context.sessions.renew() else { throw APIError(.unauthorized, message: "not logged in") }
            return CSRFBody(csrfToken: try await context.sessions.csrfToken())
        }
        group.post("/logout") { _, context in
            try await revokeSessionFamilies(context, settings: settings)
            try await context.sessions.logout()
            return StatusBody(status: "logged out")
        }
        group.post("/logout-all") { request, context in
            // A sensitive action: a stolen cookie alone must not end the owner's other sessions.
            try await context.sessions.requireRecentAuthentication(within: settings.reauthenticationWindow)
            let keep = request.uri.queryParameters["keep-current"].map { $0 == "1" || $0 == "true" } ?? false
            if keep {
                let ended = try await context.sessions.logoutOtherSessions()
                return EndedBody(status: "logged out elsewhere", ended: ended)
            }
            let count = try await context.sessions.sessionsOfUser().count
            // Everywhere includes the bearer-token clients: every token family of the user ends too.
            if let user = try await context.sessions.user() {
                try await withTokenStore { () async throws(TokenError) in try await settings.tokens.revokeAll(ofUser: user) }
            }
            try await context.sessions.logoutEverywhere()
            return EndedBody(status: "logged out everywhere", ended: count)
        }
    }

    /// The user of a `{"username","password"}` body whose password is right: 400 for another body, 401 for wrong
    /// credentials (`POST /login` and `POST /token`).
    static func authenticatedUser(_ request: Request, context: ServerContext, settings: ServerSettings) async throws -> String {
        try await verifiedCredentials(request, context: context, settings: settings).username
    }

    /// A `{"username","password"[,"remember"]}` body whose password is right: 400 for another body, 401 for wrong
    /// credentials.
    static func verifiedCredentials(_ request: Request, context: ServerContext, settings: ServerSettings) async throws -> LoginRequest {
        let credentials: LoginRequest
        do {
            credentials = try await request.decode(as: LoginRequest.self, context: context)
        } catch {
            throw APIError(.badRequest, message: "expected JSON {\"username\", \"password\"}")
        }
        guard settings.users.verify(user: credentials.username, password: credentials.password) else {
            throw APIError(.unauthorized, message: "invalid username or password")
        }
        return credentials
    }

    /// `X-Forwarded-For`, which HAProxy appends the client's address to (`option forwardfor`).
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// What a password login or re-authentication records: the user agent, and the client's address from the
    /// connection or, behind a trusted proxy, from `X-Forwarded-For`.
    static func authentication(_ request: Request, context: ServerContext, settings: ServerSettings, remember: Bool) -> Authentication {
        let peer = context.remoteAddress?.ipAddress
        let forwarded = request.headers[values: forwardedFor]
        return Authentication(
            method: "password", userAgent: request.headers[.userAgent],
            ipAddress: settings.trustedProxies.clientAddress(peer: peer, forwardedFor: forwarded), remember: remember
        )
    }

    /// The session of a logged-in user, or 401.
    static func requireLogin(_ context: ServerContext) async throws -> Session {
        guard let session = try await context.sessions.current(), session.user != nil else {
            throw APIError(.unauthorized, message: "not logged in")
        }
        return session
    }
}
