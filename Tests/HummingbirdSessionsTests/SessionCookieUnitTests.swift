// SessionCookieUnitTests: the cookie parser, the Set-Cookie builder and the form decoder on their own.

import Foundation
import Hummingbird
@testable import HummingbirdSessions
import SessionHTTP
import SessionStore
import Testing

@Suite struct SessionCookieUnitTests {
    let token = String(repeating: "A", count: 52)
    let other = String(repeating: "B", count: 52)

    @Test func candidatesAreExactNameWellFormedAndDistinct() {
        let headers = ["a=1;  __Host-sid=\(token) ;__Host-sid=\(token)", "\t__Host-sid=\(other)\t; __host-sid=\(other)", "__Host-sid=\"\(token)\""]
        #expect(CookieHeader.sessionTokens(named: "__Host-sid", in: headers) == [token, other])
        #expect(CookieHeader.sessionTokens(named: "__Host-sid", in: ["__Host-sid", ";;", "=", "__Host-sid=", "__Host-sid = \(token)x"]).isEmpty)
        #expect(CookieHeader.sessionTokens(named: "__Host-sid", in: ["__Host-sid =\(token)"]) == [token])
    }

    @Test func setCookieHeaders() {
        let configuration = SessionsConfiguration()
        let token = SessionToken(self.token)!
        #expect(SessionCookie.setting(token, maxAge: 42, configuration: configuration)
            == "__Host-sid=\(self.token); Max-Age=42; Path=/; Secure; HttpOnly; SameSite=Lax")
        #expect(SessionCookie.clearing(configuration: .insecureLocal()) == "sid=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
        var strict = SessionsConfiguration()
        strict.sameSite = .strict
        #expect(SessionCookie.setting(token, maxAge: -5, configuration: strict).contains("Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict"))
    }

    @Test func formDecoding() {
        #expect(FormFields.values(of: "_csrf", in: "a=1&_csrf=x%2By+z&b") == ["x+y z"])
        #expect(FormFields.values(of: "_csrf", in: "_csrf=1&_csrf=2") == ["1", "2"])
        #expect(FormFields.values(of: "_csrf", in: "_csrf=%zz&_csrf") == [""])
        #expect(FormFields.values(of: "_csrf", in: "%5F%63srf=ok") == ["ok"])
        #expect(FormFields.values(of: "_csrf", in: "_csrf=%FF").isEmpty)
    }

    @Test func secureCustomNameNeedsOptInAndKeepsHTTPSOrigin() throws {
        var configuration = SessionsConfiguration()
        configuration.cookieName = "__Secure-app"
        #expect(throws: SessionStoreError.self) { try configuration.validate() }
        configuration.insecureCookies = true
        try configuration.validate()
        let csrf = CSRFProtection(configuration: configuration)
        let request = Request(head: .init(method: .post, scheme: "https", authority: "Example.com", path: "/"), body: .init(buffer: .init()))
        #expect(csrf.isAllowed(origin: "https://example.com", request: request))
        #expect(!csrf.isAllowed(origin: "http://example.com", request: request))
    }
}
