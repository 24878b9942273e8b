// TestApp: the Vapor applications under test (our middleware; Vapor's own with the driver) and cookie helpers.

import EmbeddedRedis
import Foundation
import RedisSessionStore
import SessionStore
import Vapor
import VaporSessions
import VaporTesting

/// Runs `body` with a Vapor application that uses ``VaporSessionsMiddleware`` on a Redis store, with routes
/// exercising every handle operation.
func withMiddlewareApp(
    configuration: VaporSessionsConfiguration = .init(),
    _ body: @Sendable (Application, RedisSessionStore, RedisServerProcess) async throws -> Void
) async throws {
    try await withRedisStore { store, server in
        try await withApp { app in
            try addMiddlewareRoutes(to: app, store: store, configuration: configuration)
            try await body(app, store, server)
        }
    }
}

/// Our middleware and the routes the middleware tests call.
func addMiddlewareRoutes(to app: Application, store: any SessionStore, configuration: VaporSessionsConfiguration) throws {
    app.middleware.use(try VaporSessionsMiddleware(store: store, configuration: configuration))
    app.get("csrf") { req async throws -> String in try await req.sessions.csrfToken() }
    app.get("whoami") { req async throws -> String in try await req.sessions.user() ?? "anonymous" }
    app.post("login") { req async throws -> String in
        try await req.sessions.login(user: req.query["user"] ?? "alice")
        return try await req.sessions.csrfToken()
    }
    app.post("login-then-fail") { req async throws -> String in
        try await req.sessions.login(user: "frank")
        throw Abort(.badRequest, reason: "failed after login")
    }
    app.post("renew") { req async throws -> String in try await req.sessions.renew() ? "renewed" : "none" }
    app.post("logout") { req async throws -> String in
        try await req.sessions.logout()
        return "bye"
    }
    app.get("get") { req async throws -> String in
        try await req.sessions.get(req.query["name"] ?? "x", as: String.self) ?? "-"
    }
    app.post("set") { req async throws -> String in
        _ = try await req.sessions.current()       // load first, so that parallel requests interleave
        try await Task.sleep(for: .milliseconds(50))
        try await req.sessions.set(req.query["name"] ?? "x", to: req.query["value"] ?? "")
        return "ok"
    }
    app.post("count") { req async throws -> String in String(try await req.sessions.increment("visits")) }
    app.post("echo") { req async throws -> String in req.body.string ?? "" }
    app.post("hook") { _ async throws -> String in "hooked" }
}

/// A parsed `Set-Cookie` header.
struct SetCookie {
    let name: String
    let value: String
    let attributes: [String]

    init?(_ header: String) {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let equals = first.firstIndex(of: "=") else { return nil }
        name = String(first[..<equals])
        value = String(first[first.index(after: equals)...])
        attributes = Array(parts.dropFirst())
    }

    func attribute(_ key: String) -> String? {
        for attribute in attributes {
            let pieces = attribute.split(separator: "=", maxSplits: 1).map(String.init)
            if pieces[0].lowercased() == key.lowercased() { return pieces.count == 2 ? pieces[1] : "" }
        }
        return nil
    }

    func has(_ flag: String) -> Bool { attribute(flag) != nil }
}

extension TestingHTTPResponse {
    /// The `Set-Cookie` headers of the response.
    var setCookies: [SetCookie] { headers[.setCookie].compactMap(SetCookie.init) }
    /// The value our cookie was set to, if any.
    func sessionCookie(named name: String = "__Host-sid") -> String? {
        setCookies.first { $0.name == name }?.value
    }
    /// The body as text.
    var text: String { String(buffer: body) }
}

/// Headers for a same-origin request carrying `cookie` and optionally a CSRF token.
func headers(cookie: String? = nil, csrf: String? = nil, name: String = "__Host-sid") -> HTTPHeaders {
    var fields = HTTPHeaders()
    if let cookie { fields.add(name: .cookie, value: "\(name)=\(cookie)") }
    if let csrf { fields.add(name: "X-CSRF-Token", value: csrf) }
    return fields
}

/// Headers with one raw `Cookie` header.
func cookieHeader(_ value: String) -> HTTPHeaders {
    HTTPHeaders([("Cookie", value)])
}

/// Starts an anonymous session: its cookie value and CSRF token.
func anonymousSession(_ app: Application) async throws -> (cookie: String, csrf: String) {
    let response = try await app.testing().sendRequest(.GET, "/csrf")
    guard let cookie = response.sessionCookie() else { throw TestFailure("no session cookie set") }
    return (cookie, response.text)
}

/// Logs in (from a fresh anonymous session): the new cookie and CSRF token.
func loggedInSession(_ app: Application, user: String = "alice") async throws -> (cookie: String, csrf: String) {
    let anonymous = try await anonymousSession(app)
    let response = try await app.testing().sendRequest(.POST, "/login?user=\(user)", headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
    guard response.status == .ok, let cookie = response.sessionCookie() else { throw TestFailure("login failed: \(response.status)") }
    return (cookie, response.text)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
