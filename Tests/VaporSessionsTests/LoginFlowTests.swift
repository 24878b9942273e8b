// LoginFlowTests: the middleware's hardened cookie, rotation on login, renewal, logout and attribute saves.

import Foundation
import SessionStore
import Testing
import Vapor
import VaporSessions
import VaporTesting

@Suite struct LoginFlowTests {
    @Test func cookieIsAHardenedHostCookie() async throws {
        try await withMiddlewareApp { app, _, _ in
            let response = try await app.testing().sendRequest(.GET, "/csrf")
            #expect(response.status == .ok)
            #expect(response.setCookies.count == 1)
            let cookie = try #require(response.setCookies.first)
            #expect(cookie.name == "__Host-sid")
            #expect(SessionToken(cookie.value) != nil)
            #expect(cookie.has("Secure"))
            #expect(cookie.has("HttpOnly"))
            #expect(cookie.attribute("SameSite") == "Lax")
            #expect(cookie.attribute("Path") == "/")
            #expect(!cookie.has("Domain"))
            let maxAge = try #require(cookie.attribute("Max-Age").flatMap { Int($0) })
            #expect(maxAge > 12 * 3600 - 60 && maxAge <= 12 * 3600)      // the store's absolute timeout
            #expect(response.headers.first(name: .cacheControl) == "no-store")
        }
    }

    @Test func loginRotatesTheTokenAndKillsThePreLoginOne() async throws {
        try await withMiddlewareApp { app, store, _ in
            let anonymous = try await anonymousSession(app)
            let set = try await app.testing().sendRequest(.POST, "/set?name=theme&value=dark", headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
            #expect(set.status == .ok)
            let login = try await app.testing().sendRequest(.POST, "/login?user=bob", headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
            #expect(login.status == .ok)
            let cookie = try #require(login.setCookies.first)
            #expect(cookie.name == "__Host-sid" && cookie.has("Secure") && cookie.has("HttpOnly") && cookie.attribute("Path") == "/")
            #expect(cookie.value != anonymous.cookie)
            #expect(login.text != anonymous.csrf, "the CSRF token changes at login")
            #expect(login.headers.first(name: .cacheControl) == "no-store")
            #expect(try await store.load(anonymous.cookie) == nil, "fixation: the pre-login token is dead")
            #expect(try await app.testing().sendRequest(.GET, "/whoami", headers: headers(cookie: cookie.value)).text == "bob")
            #expect(try await app.testing().sendRequest(.GET, "/get?name=theme", headers: headers(cookie: cookie.value)).text == "dark")
            #expect(try await app.testing().sendRequest(.GET, "/whoami", headers: headers(cookie: anonymous.cookie)).text == "anonymous")
        }
    }

    @Test func logoutDestroysTheSessionAndExpiresTheCookie() async throws {
        try await withMiddlewareApp { app, store, _ in
            let session = try await loggedInSession(app)
            let response = try await app.testing().sendRequest(.POST, "/logout", headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(response.status == .ok)
            let cleared = try #require(response.setCookies.first)
            #expect(cleared.name == "__Host-sid" && cleared.value.isEmpty)
            #expect(cleared.attribute("Max-Age") == "0")
            #expect(cleared.has("Secure") && cleared.attribute("Path") == "/")
            #expect(response.headers.first(name: .cacheControl) == "no-store")
            #expect(try await store.load(session.cookie) == nil)
            #expect(try await app.testing().sendRequest(.GET, "/whoami", headers: headers(cookie: session.cookie)).text == "anonymous")
        }
    }

    @Test func renewalIssuesANewTokenAndKeepsTheOldOneForTheGrace() async throws {
        try await withMiddlewareApp { app, store, _ in
            let session = try await loggedInSession(app)
            let response = try await app.testing().sendRequest(.POST, "/renew", headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(response.text == "renewed")
            let renewed = try #require(response.sessionCookie())
            #expect(renewed != session.cookie)
            #expect(try await store.load(renewed)?.user == "alice")
            #expect(try await store.load(session.cookie)?.reachedThroughGrace == true)
        }
    }

    @Test func onlyChangesAreSavedSoParallelWritesToDifferentAttributesPersist() async throws {
        try await withMiddlewareApp { app, store, _ in
            let session = try await anonymousSession(app)
            let before = try #require(try await store.load(session.cookie)).revision
            _ = try await app.testing().sendRequest(.GET, "/get?name=a", headers: headers(cookie: session.cookie))
            #expect(try await store.load(session.cookie)?.revision == before, "a request that changed nothing wrote nothing")
            let tester = try app.testing()
            async let first = tester.sendRequest(.POST, "/set?name=a&value=1", headers: headers(cookie: session.cookie, csrf: session.csrf))
            async let second = tester.sendRequest(.POST, "/set?name=b&value=2", headers: headers(cookie: session.cookie, csrf: session.csrf))
            let (one, two) = try await (first, second)
            #expect(one.status == .ok && two.status == .ok)
            #expect(one.setCookies.isEmpty && two.setCookies.isEmpty)
            let stored = try #require(try await store.load(session.cookie))
            #expect(try stored.get("a", as: String.self) == "1")
            #expect(try stored.get("b", as: String.self) == "2")
            let count = try await app.testing().sendRequest(.POST, "/count", headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(count.text == "1")
        }
    }

    @Test func aHandlerErrorAfterLoginStillSendsTheNewCookie() async throws {
        try await withMiddlewareApp { app, store, _ in
            let anonymous = try await anonymousSession(app)
            let response = try await app.testing().sendRequest(.POST, "/login-then-fail", headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
            #expect(response.status == .badRequest)
            let cookie = try #require(response.sessionCookie())
            #expect(try await store.load(cookie)?.user == "frank")
            #expect(try await store.load(anonymous.cookie) == nil)
        }
    }

    @Test func withoutTheMiddlewareTheHandleFails() async throws {
        try await withApp { app in
            app.get("loose") { req async throws -> String in try await req.sessions.user() ?? "anonymous" }
            let response = try await app.testing().sendRequest(.GET, "/loose")
            #expect(response.status == .internalServerError)
        }
    }
}
