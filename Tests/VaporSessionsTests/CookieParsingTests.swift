// CookieParsingTests: duplicate, case-variant, malformed and oversized session cookies.

import Foundation
import SessionStore
import Testing
import Vapor
import VaporSessions
import VaporTesting

@Suite struct CookieParsingTests {
    @Test func aDuplicateCookieNeverWins() async throws {
        try await withMiddlewareApp { app, _, _ in
            let victim = try await loggedInSession(app, user: "victim")
            let attacker = try await loggedInSession(app, user: "attacker")
            let tester = try app.testing()
            // Two live sessions: neither is used, whatever the order (Vapor's own parser takes the last one).
            for header in ["__Host-sid=\(attacker.cookie); __Host-sid=\(victim.cookie)", "__Host-sid=\(victim.cookie); __Host-sid=\(attacker.cookie)"] {
                let response = try await tester.sendRequest(.GET, "/whoami", headers: cookieHeader(header))
                #expect(response.status == .ok)
                #expect(response.text == "anonymous")
            }
            // Split over two Cookie header fields, likewise.
            let split = HTTPHeaders([("Cookie", "__Host-sid=\(attacker.cookie)"), ("Cookie", "__Host-sid=\(victim.cookie)")])
            #expect(try await tester.sendRequest(.GET, "/whoami", headers: split).text == "anonymous")
            // A malformed or unknown duplicate next to a valid cookie: the valid one is used, in either order.
            let garbage = String(repeating: "A", count: 51) + "!"
            let unknown = try #require(SessionToken(String(repeating: "B", count: 52))).rawValue
            for header in [
                "__Host-sid=\(garbage); __Host-sid=\(victim.cookie)",
                "__Host-sid=\(victim.cookie); __Host-sid=\(unknown)",
                "__Host-sid=\(unknown); __Host-sid=\(victim.cookie)",
            ] {
                #expect(try await tester.sendRequest(.GET, "/whoami", headers: cookieHeader(header)).text == "victim", "\(header)")
            }
        }
    }

    @Test func malformedAndCaseVariantCookiesAreNoSession() async throws {
        try await withMiddlewareApp { app, _, _ in
            let session = try await loggedInSession(app)
            let tester = try app.testing()
            for name in ["__host-sid", "__HOST-sid", "__Host-SID", "sid"] {
                #expect(try await tester.sendRequest(.GET, "/whoami", headers: cookieHeader("\(name)=\(session.cookie)")).text == "anonymous", "\(name)")
            }
            for value in ["", "x", "\"\(session.cookie)\"", String(repeating: "A", count: 53), "%00%ff", "é", "=;=;;", "a=b=c"] {
                let response = try await tester.sendRequest(.GET, "/whoami", headers: cookieHeader("__Host-sid=\(value)"))
                #expect(response.status == .ok, "\(value)")
                #expect(response.text == "anonymous", "\(value)")
            }
            #expect(try await tester.sendRequest(.GET, "/whoami", headers: cookieHeader(";;;  ; =; __Host-sid")).status == .ok)
            #expect(try await tester.sendRequest(.GET, "/whoami", headers: cookieHeader("__Host-sid=\(session.cookie)")).text == "alice")
        }
    }

    @Test func anOversizedCookieHeaderGets431() async throws {
        try await withMiddlewareApp { app, _, _ in
            let tester = try app.testing()
            let big = try await tester.sendRequest(.GET, "/whoami", headers: cookieHeader("pad=" + String(repeating: "a", count: 8 * 1024)))
            #expect(big.status == .requestHeaderFieldsTooLarge)
            #expect(big.text.contains("\"error\""))
            let fits = try await tester.sendRequest(.GET, "/whoami", headers: cookieHeader("pad=" + String(repeating: "a", count: 8 * 1024 - 10)))
            #expect(fits.status == .ok)
        }
    }
}
