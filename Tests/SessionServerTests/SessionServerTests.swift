// SessionServerTests: the session server's routes over the in-memory store: the whole login flow and more.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SessionStore
import Testing

@testable import session_server

@Suite struct SessionServerTests {
    @Test func pingAndInstanceHeaderOnEveryResponse() async throws {
        let server = try TestServer(instanceID: "node-7")
        try await server.app().test(.router) { client in
            let ping = try await client.execute(uri: "/ping", method: .get)
            #expect(ping.status == .ok)
            #expect(ping.headers[ServerApp.instanceHeader] == "node-7")
            #expect(ping.headers[values: .setCookie].isEmpty)
            let missing = try await client.execute(uri: "/nowhere", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[ServerApp.instanceHeader] == "node-7")
            #expect(try missing.json()["error"] is String)
            let me = try await client.execute(uri: "/me", method: .get)
            #expect(me.status == .unauthorized)
            #expect(me.headers[ServerApp.instanceHeader] == "node-7")
            #expect(try me.json()["error"] is String)
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(health.headers[ServerApp.instanceHeader] == "node-7")
        }
    }

    @Test func fullFlow() async throws {
        let server = try TestServer()
        try await server.app().test(.router) { client in
            var browser = Browser()
            let csrf = try await browser.send(client, .get, "/csrf")
            #expect(csrf.status == .ok)
            browser.csrf = try csrf.json()["csrfToken"] as? String
            #expect(browser.cookie != nil && browser.csrf != nil)

            let wrong = try await browser.send(client, .post, "/login", body: #"{"username":"alice","password":"nope"}"#)
            #expect(wrong.status == .unauthorized)
            let unknown = try await browser.send(client, .post, "/login", body: #"{"username":"mallory","password":"nope"}"#)
            #expect(unknown.status == .unauthorized)
            let noCSRF = try await browser.send(client, .post, "/login", body: #"{"username":"alice","password":"\#(server.password)"}"#, csrf: false)
            #expect(noCSRF.status == .forbidden)

            let anonymousCookie = browser.cookie
            let login = try await browser.send(client, .post, "/login", body: #"{"username":"alice","password":"\#(server.password)"}"#)
            #expect(login.status == .ok)
            let loginBody = try login.json()
            #expect(loginBody["user"] as? String == "alice")
            #expect(browser.cookie != anonymousCookie)
            browser.csrf = loginBody["csrfToken"] as? String

            let me = try await browser.send(client, .get, "/me")
            #expect(me.status == .ok)
            let meBody = try me.json()
            #expect(meBody["user"] as? String == "alice")
            #expect(meBody["instance"] as? String == "test-1")
            let created = try #require(meBody["createdAt"] as? String)
            #expect(try Date(created, strategy: .iso8601) <= Date())
            #expect(meBody["expiresAt"] is String)

            #expect(try await browser.send(client, .get, "/counter").json()["value"] as? Int == 0)
            for expected in 1...3 {
                let increment = try await browser.send(client, .post, "/counter/increment")
                #expect(try increment.json()["value"] as? Int == expected)
            }
            #expect(try await browser.send(client, .get, "/counter").json()["value"] as? Int == 3)

            #expect(try await browser.send(client, .put, "/prefs/theme", body: #"{"value":"dark"}"#).status == .ok)
            #expect(try await browser.send(client, .put, "/prefs/lang", body: #"{"value":"de"}"#).status == .ok)
            #expect(try await browser.send(client, .put, "/prefs/bad%20key", body: #"{"value":"x"}"#).status == .badRequest)
            let prefs = try await browser.send(client, .get, "/prefs").json()["prefs"] as? [String: String]
            #expect(prefs == ["theme": "dark", "lang": "de"])

            let beforeRenew = browser.cookie
            let renew = try await browser.send(client, .post, "/renew")
            #expect(renew.status == .ok)
            #expect(browser.cookie != beforeRenew)
            browser.csrf = try renew.json()["csrfToken"] as? String
            #expect(try await browser.send(client, .get, "/counter").json()["value"] as? Int == 3)
            var inFlight = browser
            inFlight.cookie = beforeRenew
            #expect(try await inFlight.send(client, .get, "/me").status == .ok)   // the grace window
            #expect(try await browser.send(client, .post, "/counter/increment", csrf: false).status == .forbidden)

            let logout = try await browser.send(client, .post, "/logout")
            #expect(logout.status == .ok)
            #expect(browser.cookie == nil)
            #expect(try await browser.send(client, .get, "/me").status == .unauthorized)
            #expect(try await inFlight.send(client, .get, "/me").status == .unauthorized)
            #expect(try await browser.send(client, .get, "/counter").status == .unauthorized)
            #expect(try await browser.send(client, .post, "/counter/increment", csrf: false).status == .forbidden)
        }
    }

    @Test func protectedRoutesNeedALogin() async throws {
        let server = try TestServer()
        try await server.app().test(.router) { client in
            var browser = Browser()
            browser.csrf = try await browser.send(client, .get, "/csrf").json()["csrfToken"] as? String
            #expect(try await browser.send(client, .get, "/me").status == .unauthorized)
            #expect(try await browser.send(client, .get, "/counter").status == .unauthorized)
            #expect(try await browser.send(client, .post, "/counter/increment").status == .unauthorized)
            #expect(try await browser.send(client, .get, "/prefs").status == .unauthorized)
            #expect(try await browser.send(client, .put, "/prefs/a", body: #"{"value":"b"}"#).status == .unauthorized)
            #expect(try await browser.send(client, .get, "/sessions").status == .unauthorized)
            #expect(try await browser.send(client, .post, "/logout-all").status == .unauthorized)
        }
    }

    @Test func logoutAllWithAndWithoutKeepCurrent() async throws {
        let server = try TestServer()
        try await server.app().test(.router) { client in
            var first = Browser(), second = Browser(), third = Browser()
            try await first.login(client, password: server.password)
            try await second.login(client, password: server.password)
            try await third.login(client, password: server.password)
            var bob = Browser()
            try await bob.login(client, user: "bob", password: server.password)

            let keep = try await first.send(client, .post, "/logout-all?keep-current=1")
            #expect(keep.status == .ok)
            #expect(try keep.json()["ended"] as? Int == 2)
            #expect(try await first.send(client, .get, "/me").status == .ok)
            #expect(try await second.send(client, .get, "/me").status == .unauthorized)
            #expect(try await third.send(client, .get, "/me").status == .unauthorized)

            try await second.login(client, password: server.password)
            let all = try await first.send(client, .post, "/logout-all")
            #expect(all.status == .ok)
            #expect(first.cookie == nil)
            #expect(try await first.send(client, .get, "/me").status == .unauthorized)
            #expect(try await second.send(client, .get, "/me").status == .unauthorized)
            #expect(try await bob.send(client, .get, "/me").status == .ok)
        }
    }

    @Test func sessionsListAndDeleteByHandle() async throws {
        let server = try TestServer()
        try await server.app().test(.router) { client in
            var laptop = Browser(), phone = Browser()
            try await laptop.login(client, password: server.password)
            try await phone.login(client, password: server.password)
            let list = try await laptop.send(client, .get, "/sessions")
            #expect(list.status == .ok)
            let sessions = try #require(list.json()["sessions"] as? [[String: Any]])
            #expect(sessions.count == 2)
            #expect(sessions.filter { $0["current"] as? Bool == true }.count == 1)
            #expect(sessions.allSatisfy { $0["createdAt"] is String && $0["lastAccessAt"] is String })
            let other = try #require(sessions.first { $0["current"] as? Bool == false }?["handle"] as? String)

            let delete = try await laptop.send(client, .delete, "/sessions/\(other)")
            #expect(delete.status == .ok)
            #expect(try await phone.send(client, .get, "/me").status == .unauthorized)
            #expect(try await laptop.send(client, .get, "/me").status == .ok)
            #expect(try await laptop.send(client, .delete, "/sessions/\(other)").status == .notFound)
            let after = try await laptop.send(client, .get, "/sessions").json()["sessions"] as? [[String: Any]]
            #expect(after?.count == 1)
        }
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        let server = try TestServer()
        try await server.app().test(.router) { client in
            _ = try await client.execute(uri: "/ping", method: .get)
            _ = try await client.execute(uri: "/me", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            let text = String(buffer: metrics.body)
            #expect(text.contains("http_requests_total"))
            #expect(text.contains(#"route="/ping""#))
            #expect(text.contains(#"status="401""#))
        }
    }

    @Test func healthzReportsTheHealthCheck() async throws {
        let server = try TestServer()
        try await server.app(healthCheck: { false }).test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .serviceUnavailable)
            #expect(try health.json()["error"] is String)
        }
    }

    @Test func durationsAndUsers() throws {
        #expect(ServerDuration(argument: "30s")?.duration == .seconds(30))
        #expect(ServerDuration(argument: "15m")?.duration == .seconds(900))
        #expect(ServerDuration(argument: "250ms")?.duration == .milliseconds(250))
        #expect(ServerDuration(argument: "abc") == nil)
        let users = DemoUsers(["alice": "pw"])
        #expect(users.verify(user: "alice", password: "pw"))
        #expect(!users.verify(user: "alice", password: "pw2"))
        #expect(!users.verify(user: "bob", password: "pw"))
    }
}
