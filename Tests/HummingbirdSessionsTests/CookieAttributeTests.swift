// CookieAttributeTests: the session cookie's name and attributes, Cache-Control, and configuration checks.

import Foundation
import Hummingbird
import HummingbirdSessions
import HummingbirdTesting
import SessionStore
import Testing

@Suite struct CookieAttributeTests {
    @Test func defaultCookieIsHardened() async throws {
        var settings = SessionConfiguration()
        settings.expiry.absoluteTimeout = .seconds(3600)
        let app = try makeApp(store: try MemorySessionStore(configuration: settings))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/csrf", method: .get)
            #expect(response.status == .ok)
            let cookies = response.setCookies
            #expect(cookies.count == 1)
            let cookie = try #require(cookies.first)
            #expect(cookie.name == "__Host-sid")
            #expect(SessionToken(cookie.value) != nil)
            #expect(cookie.has("Secure"))
            #expect(cookie.has("HttpOnly"))
            #expect(cookie.attribute("SameSite") == "Lax")
            #expect(cookie.attribute("Path") == "/")
            #expect(!cookie.has("Domain"))
            let maxAge = try #require(cookie.attribute("Max-Age").flatMap { Int($0) })
            #expect(maxAge > 3500 && maxAge <= 3600)
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    @Test func maximumCookieAgeCapsMaxAge() async throws {
        var configuration = SessionsConfiguration()
        configuration.maximumCookieAge = .seconds(60)
        let app = try makeApp(store: try MemorySessionStore(), configuration: configuration)
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/csrf", method: .get)
            #expect(response.setCookies.first?.attribute("Max-Age") == "60")
        }
    }

    @Test func responsesFromASessionAreNeverCachedButSetNoCookie() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let session = try await anonymousSession(client)
            let response = try await client.execute(uri: "/get?name=x", method: .get, headers: headers(cookie: session.cookie))
            #expect(response.status == .ok)
            #expect(response.setCookies.isEmpty)
            #expect(response.headers[.cacheControl] == "no-store")
            let anonymous = try await client.execute(uri: "/get?name=x", method: .get)
            #expect(anonymous.status == .ok && anonymous.headers[.cacheControl] == nil, "no session used: nothing to protect")
        }
    }

    @Test func insecureSettingsNeedTheOptIn() throws {
        var noSecure = SessionsConfiguration()
        noSecure.secure = false
        #expect(throws: SessionStoreError.self) { try noSecure.validate() }
        var plainName = SessionsConfiguration()
        plainName.cookieName = "sid"
        #expect(throws: SessionStoreError.self) { try plainName.validate() }
        var badName = SessionsConfiguration()
        badName.cookieName = "__Host-s;id"
        #expect(throws: SessionStoreError.self) { try badName.validate() }
        try SessionsConfiguration.insecureLocal().validate()
        try SessionsConfiguration().validate()
    }

    @Test func insecureLocalUsesPlainCookie() async throws {
        let app = try makeApp(store: try MemorySessionStore(), configuration: .insecureLocal())
        try await app.test(.router) { client in
            let session = try await anonymousSession(client, name: "sid")
            let cookie = try #require(try await client.execute(uri: "/csrf", method: .get).setCookies.first)
            #expect(cookie.name == "sid")
            #expect(!cookie.has("Secure"))
            #expect(cookie.has("HttpOnly"))
            // Same origin over plain HTTP is accepted in this mode.
            var fields = headers(cookie: session.cookie, csrf: session.csrf, name: "sid")
            fields[.origin] = "http://localhost"
            let response = try await client.execute(uri: "/count", method: .post, headers: fields)
            #expect(response.status == .ok)
        }
    }
}
