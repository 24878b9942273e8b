// DeviceRoutesTests: /sessions lists how each session authenticated; re-authentication, remember me, the audit log.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SessionStore
import Synchronization
import Testing

@testable import session_server

@Suite struct DeviceRoutesTests {
    static let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

    @Test("GET /sessions: every entry has exactly the recorded members, the current one marked")
    func sessionEntries() async throws {
        let server = try TestServer()
        try await server.app().test(.router) { client in
            var laptop = Browser(), phone = Browser()
            try await laptop.login(client, password: server.password)
            try await phone.login(client, password: server.password)
            let response = try await client.execute(uri: "/sessions", method: .get, headers: {
                var fields = laptop.headers()
                fields[.userAgent] = Self.firefox
                return fields
            }())
            let entries = try #require(try response.json()["sessions"] as? [[String: Any]])
            #expect(entries.count == 2)
            for entry in entries {
                #expect(Set(entry.keys) == ["handle", "createdAt", "lastAccessAt", "authenticatedAt", "method", "userAgent", "ip", "device", "current"])
                #expect(entry["method"] as? String == "password")
                #expect((entry["authenticatedAt"] as? String)?.hasSuffix("Z") == true)
                #expect(entry["device"] as? String == "Unknown device", "the test client sends no User-Agent at login")
                #expect(entry["ip"] is NSNull, "the router test has no peer address")
            }
            #expect(entries.filter { $0["current"] as? Bool == true }.count == 1)
        }
    }

    @Test("POST /logout-all needs a recent login; POST /reauth (CSRF-checked) renews it, rotates the token, answers a CSRF token")
    func reauthentication() async throws {
        // The store's clock starts 20 minutes ago: the login is recorded then, older than the 10-minute window.
        let clock = ManualSessionClock(start: SystemSessionClock().nowMilliseconds() - 20 * 60 * 1000)
        let server = try TestServer(store: MemorySessionStore(clock: clock))
        try await server.app().test(.router) { client in
            var browser = Browser()
            try await browser.login(client, password: server.password)
            clock.advance(by: .seconds(20 * 60))
            let refused = try await browser.send(client, .post, "/logout-all")
            #expect(refused.status == .unauthorized)
            #expect(try refused.json()["error"] as? String == "reauthentication required")

            let before = try #require(browser.cookie)
            #expect(try await browser.send(client, .post, "/reauth", body: #"{"password":"wrong"}"#).status == .unauthorized)
            #expect(try await browser.send(client, .post, "/reauth", body: #"{"password":"\#(server.password)"}"#, csrf: false).status == .forbidden)
            #expect(try await browser.send(client, .post, "/reauth", body: #"{"pass":1}"#).status == .badRequest)
            let reauth = try await browser.send(client, .post, "/reauth", body: #"{"password":"\#(server.password)"}"#)
            #expect(reauth.status == .ok)
            let csrf = try #require(try reauth.json()["csrfToken"] as? String)
            #expect(csrf != browser.csrf, "a privilege change replaces the CSRF token")
            browser.csrf = csrf
            #expect(browser.cookie != before, "re-authentication rotates the token")
            #expect(try await client.execute(uri: "/me", method: .get, headers: [.cookie: "sid=\(before)"]).status == .unauthorized)

            let ended = try await browser.send(client, .post, "/logout-all")
            #expect(ended.status == .ok)
        }
    }

    @Test("remember me: the session lives the remember-me lifetime, and so does the cookie")
    func rememberMe() async throws {
        var configuration = SessionConfiguration()
        configuration.expiry.rememberMeLifetime = .seconds(720 * 3600)
        let server = try TestServer(store: MemorySessionStore(configuration: configuration))
        try await server.app().test(.router) { client in
            var browser = Browser()
            browser.csrf = try await browser.send(client, .get, "/csrf").json()["csrfToken"] as? String
            let remembered = try await browser.send(client, .post, "/login", body: #"{"username":"alice","password":"\#(server.password)","remember":true}"#)
            #expect(remembered.status == .ok)
            let cookie = try #require(remembered.headers[.setCookie])
            let maxAge = try #require(cookie.split(separator: ";").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Max-Age=") })
            let seconds = try #require(Int(maxAge.trimmingCharacters(in: .whitespaces).dropFirst("Max-Age=".count)))
            #expect((720 * 3600 - 5)...(720 * 3600) ~= seconds, "Max-Age \(seconds)")

            var other = Browser()
            other.csrf = try await other.send(client, .get, "/csrf").json()["csrfToken"] as? String
            let plain = try await other.send(client, .post, "/login", body: #"{"username":"alice","password":"\#(server.password)"}"#)
            let plainCookie = try #require(plain.headers[.setCookie])
            #expect(plainCookie.contains("Max-Age=4319") || plainCookie.contains("Max-Age=4320"), "12 h by default: \(plainCookie)")
        }
    }

    @Test("the audit log writes one JSON line per event, with handles and never a token")
    func auditLog() async throws {
        let bus = SessionEvents()
        let lines = Mutex<[String]>([])
        let log = AuditLog(bus: bus, instance: "app9") { data in lines.withLock { $0.append(String(decoding: data, as: UTF8.self)) } }
        let task = Task { try await log.run() }
        bus.emit(SessionEvent(.rotated(.login), .session(handle: "abc123"), user: "alice", date: Date(timeIntervalSince1970: 0)))
        bus.emit(SessionEvent(.destroyed(.revocation), .tokenFamily(id: "fam1"), user: "bob", date: Date(timeIntervalSince1970: 1)))
        for _ in 0..<200 where lines.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        let written = lines.withLock { $0 }
        #expect(written.count == 2 && written.allSatisfy { $0.hasSuffix("}\n") && !$0.dropLast().contains("\n") }, "one line each")
        let objects = try written.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary) }
        #expect(objects.first == [
            "audit": "session.rotated", "detail": "login", "session": "abc123", "user": "alice",
            "at": "1970-01-01T00:00:00.000Z", "instance": "app9",
        ] as NSDictionary)
        #expect(objects.last == [
            "audit": "token_family.destroyed", "detail": "revocation", "family": "fam1", "user": "bob",
            "at": "1970-01-01T00:00:01.000Z", "instance": "app9",
        ] as NSDictionary)
    }
}
