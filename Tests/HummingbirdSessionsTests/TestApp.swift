// TestApp: the router, routes and cookie helpers the middleware tests share.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdSessions
import HummingbirdTesting
import SessionStore

/// Builds an application with the middleware and routes exercising every handle operation.
func makeApp(store: any SessionStore, configuration: SessionsConfiguration = .init()) throws -> some ApplicationProtocol {
    let router = Router(context: BasicSessionsRequestContext.self)
    router.add(middleware: try SessionsMiddleware(store: store, configuration: configuration))
    router.get("/csrf") { _, context in try await context.sessions.csrfToken() }
    router.get("/whoami") { _, context in try await context.sessions.user() ?? "anonymous" }
    router.post("/login") { request, context in
        try await context.sessions.login(user: request.uri.queryParameters["user"].map(String.init) ?? "alice")
        return try await context.sessions.csrfToken()
    }
    router.post("/login-then-fail") { _, context -> String in
        try await context.sessions.login(user: "frank")
        throw HTTPError(.badRequest, message: "failed after login")
    }
    router.post("/logout-then-crash") { _, context -> String in
        try await context.sessions.logout()
        throw TestFailure("plain error after logout")
    }
    router.post("/set-then-fail") { _, context -> String in
        try await context.sessions.set("lost", to: "value")
        throw HTTPError(.badRequest, message: "failed after set")
    }
    router.post("/renew") { _, context in
        try await context.sessions.renew() ? "renewed" : "none"
    }
    router.post("/logout") { _, context in
        try await context.sessions.logout()
        return "bye"
    }
    router.post("/logout-everywhere") { _, context in
        try await context.sessions.logoutEverywhere()
        return "bye"
    }
    router.get("/devices") { _, context in
        try await context.sessions.sessionsOfUser().map(\.handle).joined(separator: ",")
    }
    router.post("/logout-others") { _, context in
        String(try await context.sessions.logoutOtherSessions())
    }
    router.post("/end-session") { request, context in
        String(try await context.sessions.endSession(handle: request.uri.queryParameters["handle"].map(String.init) ?? ""))
    }
    router.get("/get") { request, context in
        let name = request.uri.queryParameters["name"].map(String.init) ?? "x"
        return try await context.sessions.get(name, as: String.self) ?? "-"
    }
    router.get("/get-int") { request, context in
        let name = request.uri.queryParameters["name"].map(String.init) ?? "x"
        return try await context.sessions.get(name, as: Int.self).map(String.init) ?? "-"
    }
    router.post("/set") { request, context in
        let name = request.uri.queryParameters["name"].map(String.init) ?? "x"
        let value = request.uri.queryParameters["value"].map(String.init) ?? ""
        _ = try await context.sessions.current()       // load first, so parallel requests interleave
        try await Task.sleep(for: .milliseconds(50))
        try await context.sessions.set(name, to: value)
        return "ok"
    }
    router.post("/count") { _, context in
        String(try await context.sessions.increment("visits"))
    }
    router.post("/echo") { request, _ in
        String(buffer: try await request.body.collect(upTo: 10_000))
    }
    router.post("/hook") { _, _ in "hooked" }
    router.get("/plain") { _, _ in "plain" }
    return Application(router: router)
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

extension TestResponse {
    /// The `Set-Cookie` headers of the response.
    var setCookies: [SetCookie] { headers[values: .setCookie].compactMap(SetCookie.init) }
    /// The value our cookie was set to, if any.
    func sessionCookie(named name: String = "__Host-sid") -> String? {
        setCookies.first { $0.name == name }?.value
    }
    var text: String { String(buffer: body) }
}

/// Headers for a same-origin request carrying `cookie` and optionally a CSRF token.
func headers(cookie: String? = nil, csrf: String? = nil, name: String = "__Host-sid") -> HTTPFields {
    var fields = HTTPFields()
    if let cookie { fields[.cookie] = "\(name)=\(cookie)" }
    if let csrf { fields[HTTPField.Name("X-CSRF-Token")!] = csrf }
    return fields
}

/// Starts an anonymous session: its cookie value and CSRF token.
func anonymousSession(_ client: some TestClientProtocol, name: String = "__Host-sid") async throws -> (cookie: String, csrf: String) {
    let response = try await client.execute(uri: "/csrf", method: .get)
    guard let cookie = response.sessionCookie(named: name) else { throw TestFailure("no session cookie set") }
    return (cookie, response.text)
}

/// Logs in (from a fresh anonymous session): the new cookie and CSRF token.
func loggedInSession(_ client: some TestClientProtocol, user: String = "alice") async throws -> (cookie: String, csrf: String) {
    let anonymous = try await anonymousSession(client)
    let response = try await client.execute(uri: "/login?user=\(user)", method: .post, headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
    guard response.status == .ok, let cookie = response.sessionCookie() else { throw TestFailure("login failed: \(response.status)") }
    return (cookie, response.text)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
