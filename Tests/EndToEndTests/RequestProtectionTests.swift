// RequestProtectionTests: CSRF refusals and the session cookie's attributes, as a client sees them through HAProxy.

import Foundation
import NIOHTTP1
import Testing

extension ThroughHAProxyTests {
    @Suite("CSRF and cookie attributes")
    struct RequestProtection {
        @Test("CSRF: missing or wrong token, cross-site fetch and foreign Origin are refused with 403; login needs the token")
        func csrfRefusals() async throws {
            let topology = try Topology.required()
            var alice = VirtualUser(topology)
            try await alice.fetchCSRF()
            let anonymousCSRF = try #require(alice.csrf)

            let credentials = #"{"username":"alice","password":"\#(Topology.password)"}"#
            let loginWithout = try await alice.send(.POST, "/login", json: credentials, withCSRF: false)
            #expect(loginWithout.status == 403 && loginWithout.string("error") != nil, "login without token: \(loginWithout.summary)")
            alice.csrf = "not-the-token"
            let loginWrong = try await alice.send(.POST, "/login", json: credentials)
            #expect(loginWrong.status == 403, "login with a wrong token: \(loginWrong.summary)")
            #expect(try await alice.send(.GET, "/me").status == 401, "the refused logins logged nobody in")
            alice.csrf = anonymousCSRF
            let login = try await alice.send(.POST, "/login", json: credentials)
            #expect(login.status == 200, "\(login.summary)")
            alice.csrf = login.string("csrfToken")
            let token = try alice.requireToken()

            let noSession = try await topology.send(.POST, "/counter/increment")
            #expect(noSession.status == 403, "no cookie, no token: \(noSession.summary)")
            let missing = try await alice.send(.POST, "/counter/increment", withCSRF: false)
            #expect(missing.status == 403, "no token: \(missing.summary)")
            let wrong = try await topology.send(.POST, "/counter/increment", headers: [
                ("Cookie", "\(Topology.cookieName)=\(token)"), ("X-CSRF-Token", anonymousCSRF),
            ])
            #expect(wrong.status == 403, "the pre-login token: \(wrong.summary)")
            let crossSite = try await alice.send(.POST, "/counter/increment", headers: [("Sec-Fetch-Site", "cross-site")])
            #expect(crossSite.status == 403, "Sec-Fetch-Site: cross-site: \(crossSite.summary)")
            let foreign = try await alice.send(.PUT, "/prefs/theme", json: #"{"value":"dark"}"#, headers: [("Origin", "https://evil.example")])
            #expect(foreign.status == 403, "foreign Origin: \(foreign.summary)")
            let deleteWithout = try await alice.send(.DELETE, "/sessions/x", withCSRF: false)
            #expect(deleteWithout.status == 403, "DELETE without token: \(deleteWithout.summary)")

            // Positive controls: the token with the request's own origin and a same-origin fetch pass.
            let own = try await alice.send(.POST, "/counter/increment", headers: [("Origin", topology.url), ("Sec-Fetch-Site", "same-origin")])
            #expect(own.status == 200 && own.int("value") == 1, "own origin with the token: \(own.summary)")
            let counter = try await alice.send(.GET, "/counter")
            #expect(counter.int("value") == 1, "refused requests changed nothing: \(counter.summary)")
            let prefs = try await alice.send(.GET, "/prefs")
            #expect((prefs.json?["prefs"] as? [String: Any])?.isEmpty == true, "the refused PUT stored nothing: \(prefs.summary)")
        }

        @Test("cookie attributes through HAProxy: __Host-sid, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, no-store")
        func cookieAttributes() async throws {
            let topology = try Topology.required()
            var alice = VirtualUser(topology)
            let twelveHours = 12 * 3600

            let csrf = try await alice.fetchCSRF()
            try expectSessionCookie(csrf, maxAgeAtMost: twelveHours, step: "GET /csrf")
            let login = try await alice.send(.POST, "/login", json: #"{"username":"alice","password":"\#(Topology.password)"}"#)
            try expectSessionCookie(login, maxAgeAtMost: twelveHours, step: "POST /login")
            alice.csrf = login.string("csrfToken")

            let me = try await alice.send(.GET, "/me")
            #expect(me.status == 200 && me.setCookies.isEmpty, "a plain request sets no cookie: \(me.setCookies)")
            let renew = try await alice.send(.POST, "/renew")
            try expectSessionCookie(renew, maxAgeAtMost: twelveHours, step: "POST /renew")
            alice.csrf = renew.string("csrfToken")

            let logout = try await alice.send(.POST, "/logout")
            let cleared = try #require(logout.setCookies.first.flatMap(SetCookie.init), "logout clears the cookie")
            #expect(logout.setCookies.count == 1)
            #expect(cleared.name == Topology.cookieName && cleared.value.isEmpty && cleared.maxAge == 0, "\(logout.setCookies)")
            expectHardened(cleared, step: "POST /logout")
            #expect(logout.headers.first(name: "Cache-Control") == "no-store", "POST /logout: \(logout.headers)")
        }

        @Test("a request in flight during a renewal keeps its CSRF token within the grace; after it, it is refused")
        func csrfWithinTheRenewalGrace() async throws {
            let topology = try Topology.required()
            var alice = VirtualUser(topology)
            try await alice.fetchCSRF()
            alice.csrf = try await alice.login("alice").string("csrfToken")
            let (oldToken, oldCSRF) = (try alice.requireToken(), try #require(alice.csrf))
            let renew = try await alice.send(.POST, "/renew")
            #expect(renew.status == 200 && renew.string("csrfToken") == oldCSRF, "a renewal keeps the CSRF token: \(renew.summary)")
            let old = [("Cookie", "\(Topology.cookieName)=\(oldToken)"), ("X-CSRF-Token", oldCSRF)]
            let inFlight = try await topology.send(.POST, "/counter/increment", headers: old)
            #expect(inFlight.status == 200 && inFlight.setCookies.isEmpty, "old token and old CSRF token within the grace: \(inFlight.summary)")
            let newCookie = try await alice.send(.POST, "/counter/increment")
            #expect(newCookie.status == 200 && newCookie.int("value") == 2, "new cookie, the page's CSRF token: \(newCookie.summary)")
            let rotate = try await topology.send(.POST, "/renew", headers: old)
            #expect(rotate.status == 409 && rotate.setCookies.isEmpty, "no rotation from the grace: \(rotate.summary)")
            try await Task.sleep(for: .milliseconds(1300))   // the topology's grace is 1 s
            let late = try await topology.send(.POST, "/counter/increment", headers: old)
            #expect(late.status == 403, "after the grace the old token is no session, so no CSRF token is valid: \(late.summary)")
            #expect(try await alice.send(.GET, "/counter").int("value") == 2)
        }

        @Test("operational hardening: /metrics only on the instances' own ports, HSTS, no-store on authenticated responses")
        func operationalHardening() async throws {
            let topology = try Topology.required()
            for path in ["/metrics", "//metrics", "/./metrics", "/%6Detrics", "/METRICS", "/metrics/"] {
                let reply = try await topology.send(.GET, path)
                #expect(reply.status == 404, "\(path) through HAProxy: \(reply.summary)")
                #expect(!reply.body.contains("session_store_operations_total"), "\(path) leaked metrics")
                #expect(reply.headers.first(name: "Strict-Transport-Security") == "max-age=63072000", "HSTS on HAProxy's own 404")
            }
            let direct = try await topology.sendDirect(to: 0, .GET, "/metrics")
            #expect(direct.status == 200 && direct.body.contains("http_requests_total"), "Prometheus still scrapes the instance: \(direct.summary)")

            let ping = try await topology.send(.GET, "/ping")
            #expect(ping.headers.first(name: "Strict-Transport-Security") == "max-age=63072000", "HSTS: \(ping.headers)")

            var alice = VirtualUser(topology)
            try await alice.fetchCSRF()
            alice.csrf = try await alice.login("alice").string("csrfToken")
            for path in ["/me", "/sessions", "/prefs", "/counter"] {
                let reply = try await alice.send(.GET, path)
                #expect(reply.status == 200 && reply.headers.first(name: "Cache-Control") == "no-store", "\(path): \(reply.headers)")
            }
        }
    }
}

/// Checks that `reply` sets exactly one hardened session cookie with `0 < Max-Age ≤ maxAgeAtMost` and carries
/// `Cache-Control: no-store`.
func expectSessionCookie(_ reply: Reply, maxAgeAtMost: Int, step: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(reply.status == 200, "\(step): \(reply.summary)", sourceLocation: sourceLocation)
    #expect(reply.setCookies.count == 1, "\(step): \(reply.setCookies)", sourceLocation: sourceLocation)
    let cookie = try #require(reply.setCookies.first.flatMap(SetCookie.init), "\(step) sets the cookie", sourceLocation: sourceLocation)
    #expect(cookie.name == Topology.cookieName, "\(step): \(cookie.name)", sourceLocation: sourceLocation)
    #expect(cookie.value.utf8.count == 52, "\(step): a 52-character token", sourceLocation: sourceLocation)
    let maxAge = try #require(cookie.maxAge, "\(step): Max-Age", sourceLocation: sourceLocation)
    #expect(maxAge > 0 && maxAge <= maxAgeAtMost, "\(step): Max-Age \(maxAge) within the absolute lifetime", sourceLocation: sourceLocation)
    expectHardened(cookie, step: step, sourceLocation: sourceLocation)
    #expect(reply.headers.first(name: "Cache-Control") == "no-store", "\(step): \(reply.headers)", sourceLocation: sourceLocation)
}

/// Checks the attributes every session cookie must have: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain or Expires.
func expectHardened(_ cookie: SetCookie, step: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(cookie.attributes["secure"] == "", "\(step): Secure", sourceLocation: sourceLocation)
    #expect(cookie.attributes["httponly"] == "", "\(step): HttpOnly", sourceLocation: sourceLocation)
    #expect(cookie.attributes["samesite"] == "Lax", "\(step): SameSite=Lax", sourceLocation: sourceLocation)
    #expect(cookie.attributes["path"] == "/", "\(step): Path=/", sourceLocation: sourceLocation)
    #expect(cookie.attributes["domain"] == nil, "\(step): no Domain", sourceLocation: sourceLocation)
    #expect(Set(cookie.attributes.keys) == ["max-age", "path", "secure", "httponly", "samesite"], "\(step): \(cookie.attributes)", sourceLocation: sourceLocation)
}
