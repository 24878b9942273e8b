// LoginFlowTests: login rotation (fixation), renewal, logout, logout everywhere, and attribute saves.

import Foundation
import Hummingbird
import HummingbirdSessions
import HummingbirdTesting
import SessionStore
import Testing

@Suite struct LoginFlowTests {
    @Test func loginRotatesTokenAndKillsThePreLoginOne() async throws {
        let store = try MemorySessionStore()
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let anonymous = try await anonymousSession(client)
            let response = try await client.execute(uri: "/login?user=bob", method: .post, headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            let cookie = try #require(response.sessionCookie())
            #expect(cookie != anonymous.cookie)
            #expect(response.text != anonymous.csrf)           // the CSRF token changes at login
            #expect(try await store.load(anonymous.cookie) == nil)  // fixation: the old token is dead
            let whoami = try await client.execute(uri: "/whoami", method: .get, headers: headers(cookie: cookie))
            #expect(whoami.text == "bob")
            let old = try await client.execute(uri: "/whoami", method: .get, headers: headers(cookie: anonymous.cookie))
            #expect(old.text == "anonymous")
        }
    }

    @Test func loginAsAnotherUserStartsAFreshSession() async throws {
        let store = try MemorySessionStore()
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let first = try await loggedInSession(client, user: "kim")
            let set = try await client.execute(uri: "/set?name=secret&value=kims", method: .post, headers: headers(cookie: first.cookie, csrf: first.csrf))
            #expect(set.status == .ok)
            let switched = try await client.execute(uri: "/login?user=lee", method: .post, headers: headers(cookie: first.cookie, csrf: first.csrf))
            let cookie = try #require(switched.sessionCookie())
            #expect(try await client.execute(uri: "/whoami", method: .get, headers: headers(cookie: cookie)).text == "lee")
            #expect(try await client.execute(uri: "/get?name=secret", method: .get, headers: headers(cookie: cookie)).text == "-")
            #expect(try await store.load(first.cookie) == nil)
        }
    }

    @Test func renewIssuesNewToken() async throws {
        let store = try MemorySessionStore()
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let session = try await loggedInSession(client)
            let response = try await client.execute(uri: "/renew", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(response.text == "renewed")
            let renewed = try #require(response.sessionCookie())
            #expect(renewed != session.cookie)
            #expect(response.headers[.cacheControl] == "no-store")
            let whoami = try await client.execute(uri: "/whoami", method: .get, headers: headers(cookie: renewed))
            #expect(whoami.text == "alice")
        }
    }

    @Test func logoutClearsCookieAndOldTokenIsRefused() async throws {
        let store = try MemorySessionStore()
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let session = try await loggedInSession(client)
            let response = try await client.execute(uri: "/logout", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(response.status == .ok)
            let cleared = try #require(response.setCookies.first)
            #expect(cleared.name == "__Host-sid" && cleared.value.isEmpty)
            #expect(cleared.attribute("Max-Age") == "0")
            #expect(cleared.has("Secure") && cleared.attribute("Path") == "/")
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(try await store.load(session.cookie) == nil)
            let whoami = try await client.execute(uri: "/whoami", method: .get, headers: headers(cookie: session.cookie))
            #expect(whoami.text == "anonymous")
        }
    }

    @Test func logoutEverywhereEndsAllSessionsOfTheUser() async throws {
        let store = try MemorySessionStore()
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            let laptop = try await loggedInSession(client, user: "carol")
            let phone = try await loggedInSession(client, user: "carol")
            let other = try await loggedInSession(client, user: "dave")
            #expect(try await store.sessions(ofUser: "carol").count == 2)
            let response = try await client.execute(uri: "/logout-everywhere", method: .post, headers: headers(cookie: phone.cookie, csrf: phone.csrf))
            #expect(response.status == .ok)
            #expect(response.setCookies.first?.attribute("Max-Age") == "0")
            #expect(try await store.load(laptop.cookie) == nil)
            #expect(try await store.load(phone.cookie) == nil)
            #expect(try await store.load(other.cookie)?.user == "dave")
        }
    }

    @Test func devicesListAndEndingOtherSessions() async throws {
        let store = try MemorySessionStore()
        let app = try makeApp(store: store)
        try await app.test(.router) { client in
            // The device list is ordered by creation time, to the millisecond: keep the three apart.
            let first = try await loggedInSession(client, user: "hana")
            try await Task.sleep(for: .milliseconds(3))
            let second = try await loggedInSession(client, user: "hana")
            try await Task.sleep(for: .milliseconds(3))
            let third = try await loggedInSession(client, user: "hana")
            let devices = try await client.execute(uri: "/devices", method: .get, headers: headers(cookie: third.cookie))
            let handles = devices.text.split(separator: ",").map(String.init)
            #expect(handles.count == 3)
            let ended = try await client.execute(uri: "/end-session?handle=\(handles[0])", method: .post, headers: headers(cookie: third.cookie, csrf: third.csrf))
            #expect(ended.text == "true")
            #expect(try await store.load(first.cookie) == nil)
            let others = try await client.execute(uri: "/logout-others", method: .post, headers: headers(cookie: third.cookie, csrf: third.csrf))
            #expect(others.text == "1")
            #expect(try await store.load(second.cookie) == nil)
            #expect(try await store.load(third.cookie)?.user == "hana")
            #expect(others.setCookies.isEmpty)
        }
    }

    @Test func parallelRequestsChangingDifferentAttributesBothPersist() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let session = try await anonymousSession(client)
            async let first = client.execute(uri: "/set?name=a&value=1", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            async let second = client.execute(uri: "/set?name=b&value=2", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            let (one, two) = try await (first, second)
            #expect(one.status == .ok && two.status == .ok)
            #expect(one.setCookies.isEmpty && two.setCookies.isEmpty)
            let a = try await client.execute(uri: "/get?name=a", method: .get, headers: headers(cookie: session.cookie))
            let b = try await client.execute(uri: "/get?name=b", method: .get, headers: headers(cookie: session.cookie))
            #expect(a.text == "1")
            #expect(b.text == "2")
        }
    }

    @Test func incrementCounts() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let session = try await anonymousSession(client)
            for expected in 1...3 {
                let response = try await client.execute(uri: "/count", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
                #expect(response.text == "\(expected)")
            }
        }
    }
}
