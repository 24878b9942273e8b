// CookieParsingTests: duplicates, case variants, malformed values, oversized headers, CR/LF, store failures.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdSessions
import HummingbirdTesting
import SessionStore
import Testing

@Suite struct CookieParsingTests {
    func cookieHeader(_ value: String) -> HTTPFields {
        var fields = HTTPFields()
        fields[.cookie] = value
        return fields
    }

    @Test func attackerDuplicateNeverWins() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let victim = try await loggedInSession(client, user: "victim")
            let attacker = try await loggedInSession(client, user: "attacker")
            let garbage = String(repeating: "A", count: 51) + "!"
            // A malformed or unknown duplicate next to a valid cookie: the valid one is used, in either order.
            let unknown = try #require(SessionToken(String(repeating: "B", count: 52))).rawValue
            for header in [
                "__Host-sid=\(garbage); __Host-sid=\(victim.cookie)",
                "__Host-sid=\(victim.cookie); __Host-sid=\(unknown)",
                "__Host-sid=\(unknown); __Host-sid=\(victim.cookie)",
            ] {
                let response = try await client.execute(uri: "/whoami", method: .get, headers: cookieHeader(header))
                #expect(response.text == "victim", "\(header)")
            }
            // Two live sessions: neither is used, whatever the order.
            for header in ["__Host-sid=\(attacker.cookie); __Host-sid=\(victim.cookie)", "__Host-sid=\(victim.cookie); __Host-sid=\(attacker.cookie)"] {
                let response = try await client.execute(uri: "/whoami", method: .get, headers: cookieHeader(header))
                #expect(response.status == .ok)
                #expect(response.text == "anonymous")
            }
            // Split over two Cookie header fields, likewise.
            var split = HTTPFields()
            split.append(HTTPField(name: .cookie, value: "__Host-sid=\(attacker.cookie)"))
            split.append(HTTPField(name: .cookie, value: "__Host-sid=\(victim.cookie)"))
            #expect(try await client.execute(uri: "/whoami", method: .get, headers: split).text == "anonymous")
        }
    }

    @Test func caseVariantNameIsNotOurCookie() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let session = try await loggedInSession(client)
            for name in ["__host-sid", "__HOST-sid", "__Host-SID", "sid"] {
                let response = try await client.execute(uri: "/whoami", method: .get, headers: cookieHeader("\(name)=\(session.cookie)"))
                #expect(response.text == "anonymous", "\(name)")
            }
            #expect(try await client.execute(uri: "/whoami", method: .get, headers: cookieHeader("__Host-sid=\(session.cookie)")).text == "alice")
        }
    }

    @Test func malformedCookieIsNoSession() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            for value in ["", "x", "\"quoted\"", String(repeating: "A", count: 53), "%00%ff", "é", "=;=;;", "__Host-sid", "a=b=c"] {
                let response = try await client.execute(uri: "/whoami", method: .get, headers: cookieHeader("__Host-sid=\(value)"))
                #expect(response.status == .ok, "\(value)")
                #expect(response.text == "anonymous")
            }
            let garbled = try await client.execute(uri: "/whoami", method: .get, headers: cookieHeader(";;;  ; =; __Host-sid"))
            #expect(garbled.status == .ok)
        }
    }

    @Test func oversizedCookieHeaderGets431() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let big = cookieHeader("pad=" + String(repeating: "a", count: 8 * 1024))
            let response = try await client.execute(uri: "/whoami", method: .get, headers: big)
            #expect(response.status == .requestHeaderFieldsTooLarge)
            #expect(response.text.contains("\"error\""))
            let fits = cookieHeader("pad=" + String(repeating: "a", count: 8 * 1024 - 10))
            #expect(try await client.execute(uri: "/whoami", method: .get, headers: fits).status == .ok)
        }
    }

    @Test func crlfInCookieIsNeverReflected() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            for value in ["abc%0D%0ASet-Cookie:%20evil=1", "abc\r\nX-Evil: 1", "abc\nevil=1"] {
                let response = try await client.execute(uri: "/csrf", method: .get, headers: cookieHeader("__Host-sid=\(value)"))
                #expect(response.status == .ok)
                for field in response.headers {
                    #expect(!field.value.contains("\r") && !field.value.contains("\n"))
                    #expect(!field.value.lowercased().contains("evil"))
                    #expect(field.name.rawName.lowercased() != "x-evil")
                }
            }
        }
    }

    @Test func unavailableStoreGives503() async throws {
        let app = try makeApp(store: FailingSessionStore())
        try await app.test(.router) { client in
            let token = try #require(SessionToken(String(repeating: "C", count: 52))).rawValue
            let load = try await client.execute(uri: "/whoami", method: .get, headers: cookieHeader("__Host-sid=\(token)"))
            #expect(load.status == .serviceUnavailable)
            #expect(load.text.contains("\"error\""))
            #expect(try await client.execute(uri: "/csrf", method: .get).status == .serviceUnavailable)
            var post = cookieHeader("__Host-sid=\(token)")
            post[HTTPField.Name("X-CSRF-Token")!] = "x"
            #expect(try await client.execute(uri: "/login", method: .post, headers: post).status == .serviceUnavailable)
        }
    }
}
