// MiddlewareBehaviourTests: Max-Age against the absolute expiry, renewal grace, saving only changes, handler failures.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdSessions
import HummingbirdTesting
import SessionStore
import Testing

@Suite struct MiddlewareBehaviourTests {
    @Test func maxAgeNeverOutlivesTheAbsoluteExpiry() async throws {
        var settings = SessionConfiguration()
        settings.expiry.idleTimeout = .seconds(2 * 3600)
        settings.expiry.anonymousIdleTimeout = .seconds(2 * 3600)
        settings.expiry.absoluteTimeout = .seconds(2 * 3600)
        let clock = ManualSessionClock()
        let store = try MemorySessionStore(configuration: settings, clock: clock)
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let anonymous = try await anonymousSession(client)
            clock.advance(by: .seconds(3600))     // store time now runs an hour ahead of this server's clock
            let login = try await client.execute(uri: "/login", method: .post, headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
            #expect(login.status == .ok)
            let maxAge = try #require(login.setCookies.first?.attribute("Max-Age").flatMap { Int($0) })
            #expect(maxAge <= 3600)
            #expect(maxAge > 3500)
        }
    }

    @Test func anUndecodableAttributeReadsAsAbsentNeverA500() async throws {
        let store = try MemorySessionStore()
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let session = try await loggedInSession(client)
            let set = try await client.execute(uri: "/set?name=n&value=abc", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(set.status == .ok)
            // "n" now holds a string; a newer deploy reads it as an Int.
            let read = try await client.execute(uri: "/get-int?name=n", method: .get, headers: headers(cookie: session.cookie))
            #expect(read.status == .ok)
            #expect(String(buffer: read.body) == "-")
        }
    }

    @Test func renewalKeepsTheOldTokenForTheGrace() async throws {
        let store = try MemorySessionStore()
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let session = try await loggedInSession(client)
            let response = try await client.execute(uri: "/renew", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            let renewed = try #require(response.sessionCookie())
            let viaOld = try #require(try await store.load(session.cookie))
            #expect(viaOld.reachedThroughGrace)
            #expect(try await store.load(renewed)?.user == "alice")
        }
    }

    @Test func aRequestInFlightDuringARenewalKeepsItsCSRFTokenButCannotRotate() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let session = try await loggedInSession(client)
            let renew = try await client.execute(uri: "/renew", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(renew.status == .ok)
            let write = try await client.execute(uri: "/count", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(write.status == .ok, "the old token and the old CSRF token work within the grace")
            for path in ["/renew", "/login"] {
                let rotate = try await client.execute(uri: path, method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
                #expect(rotate.status == .conflict && rotate.setCookies.isEmpty, "\(path) from the grace must not rotate the successor")
            }
        }
    }

    @Test func aSaveThatFindsTheSessionGoneLeavesTheNewerCookieAlone() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let tab = try await anonymousSession(client)
            // Tab A writes (it loads, then waits 50 ms), while tab B logs in and gets the new cookie.
            async let write = client.execute(uri: "/set?name=a&value=1", method: .post, headers: headers(cookie: tab.cookie, csrf: tab.csrf))
            try await Task.sleep(for: .milliseconds(15))
            let login = try await client.execute(uri: "/login", method: .post, headers: headers(cookie: tab.cookie, csrf: tab.csrf))
            #expect(login.status == .ok && login.sessionCookie() != nil)
            let late = try await write
            #expect(late.setCookies.isEmpty, "clearing the cookie would log tab B out: \(late.setCookies)")
        }
    }

    @Test func unchangedSessionsAreNotSaved() async throws {
        let store = CountingSessionStore(try MemorySessionStore())
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let session = try await anonymousSession(client)
            _ = try await client.execute(uri: "/get?name=a", method: .get, headers: headers(cookie: session.cookie))
            _ = try await client.execute(uri: "/count", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(store.saveCount == 0)
            _ = try await client.execute(uri: "/set?name=a&value=1", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(store.saveCount == 1)
        }
    }

    @Test func handlerFailureAfterLoginStillSendsTheNewCookie() async throws {
        let store = try MemorySessionStore()
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let anonymous = try await anonymousSession(client)
            let response = try await client.execute(uri: "/login-then-fail", method: .post, headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
            #expect(response.status == .badRequest)
            let cookie = try #require(response.sessionCookie())
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(try await store.load(cookie)?.user == "frank")
            #expect(try await store.load(anonymous.cookie) == nil)
        }
    }

    @Test func plainErrorAfterLogoutStillClearsTheCookie() async throws {
        let store = try MemorySessionStore()
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let session = try await loggedInSession(client)
            let response = try await client.execute(uri: "/logout-then-crash", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(response.status == .internalServerError)
            #expect(response.setCookies.first?.attribute("Max-Age") == "0")
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(try await store.load(session.cookie) == nil)
        }
    }

    @Test func handlerFailureDropsPendingChanges() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let session = try await anonymousSession(client)
            let failed = try await client.execute(uri: "/set-then-fail", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(failed.status == .badRequest)
            let read = try await client.execute(uri: "/get?name=lost", method: .get, headers: headers(cookie: session.cookie))
            #expect(read.text == "-")
        }
    }

    @Test func tooManyCookieCandidatesMeanNoSession() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let session = try await loggedInSession(client)
            let decoys = (0..<3).map { _ in "__Host-sid=" + String(repeating: "D", count: 52) }
            var fields = HTTPFields()
            fields[.cookie] = (decoys.enumerated().map { index, decoy in decoy.dropLast() + "\(index)" } + ["__Host-sid=\(session.cookie)"]).joined(separator: "; ")
            #expect(try await client.execute(uri: "/whoami", method: .get, headers: fields).text == "anonymous")
        }
    }

    @Test func oversizedFormGets413() async throws {
        var configuration = SessionsConfiguration()
        configuration.maximumFormBytes = 100
        let app = try makeApp(store: try MemorySessionStore(), configuration: configuration)
        try await app.test(.router) { client in
            let session = try await anonymousSession(client)
            var fields = headers(cookie: session.cookie)
            fields[.contentType] = "application/x-www-form-urlencoded; charset=utf-8"
            let body = ByteBuffer(string: "_csrf=\(session.csrf)&pad=" + String(repeating: "p", count: 200))
            let response = try await client.execute(uri: "/echo", method: .post, headers: fields, body: body)
            #expect(response.status == .contentTooLarge)
        }
    }

    @Test func formFieldDecoding() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let session = try await anonymousSession(client)
            var fields = headers(cookie: session.cookie)
            fields[.contentType] = "Application/X-WWW-Form-Urlencoded"
            // Percent-encoded field name and value decode to the token.
            let encoded = session.csrf.utf8.map { String(format: "%%%02X", $0) }.joined()
            let response = try await client.execute(uri: "/echo", method: .post, headers: fields, body: ByteBuffer(string: "%5Fcsrf=\(encoded)"))
            #expect(response.status == .ok)
            // A JSON body is not searched for the field.
            var json = headers(cookie: session.cookie)
            json[.contentType] = "application/json"
            let refused = try await client.execute(uri: "/echo", method: .post, headers: json, body: ByteBuffer(string: #"{"_csrf":"\#(session.csrf)"}"#))
            #expect(refused.status == .forbidden)
        }
    }
}
