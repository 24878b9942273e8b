// SessionStoreDriverTests: the AsyncSessionDriver through Vapor's own SessionsMiddleware, on Redis.

import EmbeddedRedis
import Foundation
import RedisSessionStore
import SessionStore
import Testing
import Vapor
import VaporSessions
import VaporTesting

/// The cookie name of `SessionsConfiguration.hardened()`.
let driverCookie = "__Host-vapor-session"

/// Runs `body` with an application that uses Vapor's `SessionsMiddleware` over ``SessionStoreDriver``.
func withDriverApp(
    sessions: SessionConfiguration = .init(),
    _ body: @Sendable (Application, RedisSessionStore, RedisServerProcess) async throws -> Void
) async throws {
    try await withRedisStore(sessions: sessions) { store, server in
        try await withApp { app in
            app.sessions.use { _ in SessionStoreDriver(store: store) }
            app.sessions.configuration = .hardened(maxAge: 3600)
            app.middleware.use(app.sessions.middleware)
            app.get("vapor", "set") { req async throws -> String in
                let delay: String = req.query["delay"] ?? "0"
                try await Task.sleep(for: .milliseconds(Int(delay) ?? 0))
                req.session.data[req.query["key"] ?? "k"] = req.query["value"] ?? ""
                return "ok"
            }
            app.get("vapor", "unset") { req async throws -> String in
                req.session.data[req.query["key"] ?? "k"] = nil
                return "ok"
            }
            app.get("vapor", "get") { req async throws -> String in req.session.data[req.query["key"] ?? "k"] ?? "-" }
            app.get("vapor", "rotate") { req async throws -> String in
                req.session.id = nil          // Vapor's only way to a new ID: the middleware creates a new session
                return "rotated"
            }
            app.get("vapor", "destroy") { req async throws -> String in
                req.session.destroy()
                return "bye"
            }
            try await body(app, store, server)
        }
    }
}

@Suite struct SessionStoreDriverTests {
    @Test func createReadUpdateDelete() async throws {
        try await withDriverApp { app, store, _ in
            let tester = try app.testing()
            // Create: a session in the store, its token in a hardened cookie.
            let created = try await tester.sendRequest(.GET, "/vapor/set?key=_UserSession&value=42")
            let cookie = try #require(created.setCookies.first { $0.name == driverCookie })
            #expect(cookie.has("Secure") && cookie.has("HttpOnly") && cookie.attribute("Path") == "/")
            #expect(cookie.attribute("Max-Age") == "3600" && !cookie.has("Domain"))
            let token = cookie.value
            let stored = try #require(try await store.load(token))
            #expect(try stored.get("vapor._UserSession", as: String.self) == "42")
            // Read.
            #expect(try await tester.sendRequest(.GET, "/vapor/get?key=_UserSession", headers: headers(cookie: token, name: driverCookie)).text == "42")
            // Update: another key added, the first one kept, then removed; the ID stays.
            let updated = try await tester.sendRequest(.GET, "/vapor/set?key=theme&value=dark", headers: headers(cookie: token, name: driverCookie))
            #expect(updated.sessionCookie(named: driverCookie) == token)
            var session = try #require(try await store.load(token))
            #expect(try session.get("vapor.theme", as: String.self) == "dark")
            #expect(try session.get("vapor._UserSession", as: String.self) == "42")
            _ = try await tester.sendRequest(.GET, "/vapor/unset?key=_UserSession", headers: headers(cookie: token, name: driverCookie))
            session = try #require(try await store.load(token))
            #expect(session.attributeNames == ["vapor.theme"])
            // A request that changes nothing writes nothing.
            let revision = session.revision
            _ = try await tester.sendRequest(.GET, "/vapor/get?key=theme", headers: headers(cookie: token, name: driverCookie))
            #expect(try await store.load(token)?.revision == revision)
            // Delete: the session is gone and the cookie expired.
            let destroyed = try await tester.sendRequest(.GET, "/vapor/destroy", headers: headers(cookie: token, name: driverCookie))
            let expired = try #require(destroyed.setCookies.first { $0.name == driverCookie })
            #expect(expired.value.isEmpty)
            #expect(try await store.load(token) == nil)
        }
    }

    @Test func anUnknownOrEndedIDStartsANewSession() async throws {
        try await withDriverApp { app, store, _ in
            let tester = try app.testing()
            let unknown = try #require(SessionToken(String(repeating: "B", count: 52))).rawValue
            let ended = try #require(try await tester.sendRequest(.GET, "/vapor/set?key=a&value=1").sessionCookie(named: driverCookie))
            _ = try await tester.sendRequest(.GET, "/vapor/destroy", headers: headers(cookie: ended, name: driverCookie))
            for stale in [unknown, ended, "not-a-token"] {
                let response = try await tester.sendRequest(.GET, "/vapor/get?key=a", headers: headers(cookie: stale, name: driverCookie))
                #expect(response.status == .ok)
                #expect(response.text == "-", "an ended session's data never comes back")
                let fresh = try #require(response.sessionCookie(named: driverCookie))
                #expect(fresh != stale)
                #expect(try await store.load(fresh) != nil)
            }
        }
    }

    @Test func anExpiredSessionStartsANewOne() async throws {
        var sessions = SessionConfiguration()
        sessions.expiry.anonymousIdleTimeout = .milliseconds(500)
        try await withDriverApp(sessions: sessions) { app, store, _ in
            let tester = try app.testing()
            let token = try #require(try await tester.sendRequest(.GET, "/vapor/set?key=a&value=1").sessionCookie(named: driverCookie))
            try await Task.sleep(for: .milliseconds(800))
            #expect(try await store.load(token) == nil)
            let response = try await tester.sendRequest(.GET, "/vapor/get?key=a", headers: headers(cookie: token, name: driverCookie))
            #expect(response.text == "-")
            let fresh = try #require(response.sessionCookie(named: driverCookie))
            #expect(fresh != token)
            #expect(try await store.load(fresh) != nil)
        }
    }

    @Test func parallelRequestsChangingDifferentKeysKeepBoth() async throws {
        try await withDriverApp { app, store, _ in
            let tester = try app.testing()
            let token = try #require(try await tester.sendRequest(.GET, "/vapor/set?key=a&value=0").sessionCookie(named: driverCookie))
            async let first = tester.sendRequest(.GET, "/vapor/set?key=a&value=1&delay=50", headers: headers(cookie: token, name: driverCookie))
            async let second = tester.sendRequest(.GET, "/vapor/set?key=b&value=2&delay=50", headers: headers(cookie: token, name: driverCookie))
            let (one, two) = try await (first, second)
            #expect(one.status == .ok && two.status == .ok)
            let session = try #require(try await store.load(token))
            #expect(try session.get("vapor.a", as: String.self) == "1")
            #expect(try session.get("vapor.b", as: String.self) == "2")
        }
    }

    @Test func aLateUpdateNeverBringsBackADestroyedSession() async throws {
        try await withDriverApp { app, store, _ in
            let tester = try app.testing()
            let token = try #require(try await tester.sendRequest(.GET, "/vapor/set?key=a&value=0").sessionCookie(named: driverCookie))
            async let late = tester.sendRequest(.GET, "/vapor/set?key=a&value=1&delay=150", headers: headers(cookie: token, name: driverCookie))
            try await Task.sleep(for: .milliseconds(30))
            let logout = try await tester.sendRequest(.GET, "/vapor/destroy", headers: headers(cookie: token, name: driverCookie))
            #expect(logout.status == .ok)
            #expect(try await late.status == .ok)
            #expect(try await store.load(token) == nil)
        }
    }

    /// Documents a limitation of Vapor's own middleware (the README's table): of duplicate cookies, the last wins.
    @Test func vaporsOwnParserLetsTheLastDuplicateCookieWin() async throws {
        try await withDriverApp { app, _, _ in
            let tester = try app.testing()
            let first = try #require(try await tester.sendRequest(.GET, "/vapor/set?key=who&value=victim").sessionCookie(named: driverCookie))
            let second = try #require(try await tester.sendRequest(.GET, "/vapor/set?key=who&value=planted").sessionCookie(named: driverCookie))
            let response = try await tester.sendRequest(.GET, "/vapor/get?key=who", headers: cookieHeader("\(driverCookie)=\(first); \(driverCookie)=\(second)"))
            #expect(response.text == "planted")
        }
    }

    /// Documents a limitation of Vapor's own middleware (the README's table): rotating by hand leaves the old
    /// session valid.
    @Test func rotatingByHandUnderVaporsMiddlewareLeavesTheOldSessionValid() async throws {
        try await withDriverApp { app, store, _ in
            let tester = try app.testing()
            let old = try #require(try await tester.sendRequest(.GET, "/vapor/set?key=a&value=1").sessionCookie(named: driverCookie))
            let rotated = try await tester.sendRequest(.GET, "/vapor/rotate", headers: headers(cookie: old, name: driverCookie))
            let new = try #require(rotated.sessionCookie(named: driverCookie))
            #expect(new != old)
            #expect(try await store.load(new)?.get("vapor.a", as: String.self) == "1")
            #expect(try await store.load(old) != nil, "the pre-rotation ID still works")
        }
    }
}
