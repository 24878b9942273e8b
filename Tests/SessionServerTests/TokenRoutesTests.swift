// TokenRoutesTests: the token endpoints of the session server over the in-memory stores: shapes, modes, refusals.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SessionStore
import SessionTokens
import Testing

@testable import session_server

@Suite struct TokenRoutesTests {
    /// Runs `body` while the server's revocation list is followed (as the server's service does).
    func withServer(_ server: TestServer, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let follower = Task { await server.tokens.followRevocations() }
        defer { follower.cancel() }
        while !server.tokens.revocations.isFresh { try await Task.sleep(for: .milliseconds(5)) }
        try await server.app().test(.router) { client in try await body(client) }
    }

    func post(_ client: some TestClientProtocol, _ uri: String, _ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        return try await client.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: body))
    }

    func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func tokenRefreshMeRevoke() async throws {
        let server = try TestServer()
        try await withServer(server) { client in
            let issued = try await post(client, "/token", #"{"username":"alice","password":"\#(server.password)"}"#)
            #expect(issued.status == .ok)
            #expect(issued.headers[.cacheControl] == "no-store")
            #expect(issued.headers[values: .setCookie].isEmpty, "/token sets no cookie")
            let body = try issued.json()
            #expect(Set(body.keys) == ["access_token", "token_type", "expires_in", "refresh_token"])
            let access = try #require(body["access_token"] as? String)
            let refresh = try #require(body["refresh_token"] as? String)

            let me = try await client.execute(uri: "/api/me", method: .get, headers: bearer(access))
            #expect(me.status == .ok)
            let meBody = try me.json()
            #expect(Set(meBody.keys) == ["user", "instance", "family", "expiresAt"])
            #expect(meBody["user"] as? String == "alice")

            let wrong = try await post(client, "/token", #"{"username":"alice","password":"nope"}"#)
            #expect(wrong.status == .unauthorized)

            let rotated = try await post(client, "/token/refresh", #"{"refresh_token":"\#(refresh)"}"#)
            #expect(rotated.status == .ok)
            #expect(try rotated.json()["refresh_token"] as? String != refresh)

            let revoked = try await post(client, "/token/revoke", #"{"token":"\#(refresh)"}"#)
            #expect(revoked.status == .ok)
            let after = try await client.execute(uri: "/api/me", method: .get, headers: bearer(access))
            #expect(after.status == .unauthorized)
            #expect(after.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
            let spent = try await post(client, "/token/refresh", #"{"refresh_token":"\#(refresh)"}"#)
            #expect(spent.status == .unauthorized)
            #expect(try spent.json()["error"] as? String == "invalid_grant")
        }
    }

    @Test func jwksPublishesPublicKeysWithCaching() async throws {
        let server = try TestServer()
        try await withServer(server) { client in
            let jwks = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(jwks.status == .ok)
            #expect(jwks.headers[.cacheControl] == "public, max-age=300")
            let keys = try #require(try jwks.json()["keys"] as? [[String: Any]])
            #expect(keys.count == 1)
            #expect(keys.first?["kty"] as? String == "OKP")
            #expect(keys.first?["d"] == nil)
        }
    }

    @Test func browserModePutsTheRefreshTokenInAHardenedCookieOnly() async throws {
        let server = try TestServer(refreshTokenCookie: RefreshTokenCookie(secure: true))
        try await withServer(server) { client in
            let issued = try await post(client, "/token", #"{"username":"alice","password":"\#(server.password)"}"#)
            #expect(issued.status == .ok)
            #expect(try issued.json()["refresh_token"] == nil, "never both: not in the body")
            let cookie = try #require(issued.headers[values: .setCookie].first)
            #expect(cookie.hasPrefix("__Host-rt="))
            for attribute in ["Path=/", "HttpOnly", "SameSite=Strict", "Secure"] { #expect(cookie.contains(attribute), "\(attribute)") }
            let value = String(cookie.split(separator: ";")[0].dropFirst("__Host-rt=".count))
            let maxAge = cookie.split(separator: ";").compactMap { part -> Int? in
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=")
                return pair.count == 2 && pair[0] == "Max-Age" ? Int(pair[1]) : nil
            }.first
            #expect(maxAge.map { $0 > 0 && $0 <= 720 * 3600 } == true, "the cookie lives as long as its family")
            let refreshed = try await post(client, "/token/refresh", "{}", headers: [.cookie: "__Host-rt=\(value)"])
            #expect(refreshed.status == .ok)
            #expect(refreshed.headers[values: .setCookie].first?.hasPrefix("__Host-rt=") == true)

            // Cross-site requests cannot reach the cookie-setting routes: not as a form, not with Sec-Fetch-Site.
            let form = try await client.execute(uri: "/token", method: .post, headers: [.contentType: "text/plain"],
                                                body: ByteBuffer(string: #"{"username":"alice","password":"\#(server.password)"}"#))
            #expect(form.status == .unsupportedMediaType)
            let crossSite = try await post(client, "/token/refresh", "{}",
                                           headers: [.cookie: "__Host-rt=\(value)", HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])
            #expect(crossSite.status == .forbidden)
            // A spent cookie token (after the grace it would be reuse; here the family is revoked first) is refused,
            // and the cookie cleared.
            _ = try await post(client, "/token/revoke", "{}", headers: [.cookie: "__Host-rt=\(value)"])
            let refused = try await post(client, "/token/refresh", "{}", headers: [.cookie: "__Host-rt=\(value)"])
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[values: .setCookie].first?.contains("Max-Age=0") == true)
        }
    }

    @Test func sessionMintsTokensAndItsLogoutRevokesThem() async throws {
        let server = try TestServer()
        try await withServer(server) { client in
            var browser = Browser()
            try await browser.login(client, password: server.password)
            let forged = try await browser.send(client, .post, "/token/from-session", csrf: false)
            #expect(forged.status == .forbidden)
            let minted = try await browser.send(client, .post, "/token/from-session")
            #expect(minted.status == .ok)
            let access = try #require(try minted.json()["access_token"] as? String)
            #expect(try await client.execute(uri: "/api/me", method: .get, headers: bearer(access)).status == .ok)
            #expect(try await browser.send(client, .post, "/logout").status == .ok)
            #expect(try await client.execute(uri: "/api/me", method: .get, headers: bearer(access)).status == .unauthorized)
        }
    }

    @Test func bearerLogoutAllEndsFamiliesAndSessions() async throws {
        let server = try TestServer()
        try await withServer(server) { client in
            var browser = Browser()
            try await browser.login(client, password: server.password)
            let issued = try await post(client, "/token", #"{"username":"alice","password":"\#(server.password)"}"#)
            let access = try #require(try issued.json()["access_token"] as? String)
            let ended = try await client.execute(uri: "/api/logout-all", method: .post, headers: bearer(access))
            #expect(ended.status == .ok)
            #expect(try ended.json()["families"] as? Int == 1)
            #expect(try ended.json()["sessions"] as? Int == 1)
            #expect(try await client.execute(uri: "/api/me", method: .get, headers: bearer(access)).status == .unauthorized)
            #expect(try await browser.send(client, .get, "/me").status == .unauthorized)
        }
    }

    @Test func staleRevocationListFailsClosed() async throws {
        let server = try TestServer()
        try await server.app().test(.router) { client in
            let issued = try await post(client, "/token", #"{"username":"alice","password":"\#(server.password)"}"#)
            let access = try #require(try issued.json()["access_token"] as? String)
            // Nobody follows the revocations: the list was never confirmed, so no token can be vouched for.
            let me = try await client.execute(uri: "/api/me", method: .get, headers: bearer(access))
            #expect(me.status == .serviceUnavailable)
        }
    }
}

@Suite struct TokenKeyRotationTests {
    static let v1 = String(repeating: "1", count: 40)
    static let v2 = String(repeating: "2", count: 40)

    @Test func aNewSecretVersionSignsWhileTheOldOneStillVerifiesAndBothArePublished() async throws {
        let before = try SessionKeyring(secrets: "1:\(Self.v1)")
        let after = try SessionKeyring(secrets: "2:\(Self.v2),1:\(Self.v1)")
        let old = try TestServer(tokens: TestServer.memoryTokens(keyring: before))
        let new = try TestServer(tokens: TestServer.memoryTokens(keyring: after))
        // A token signed before the rotation (kid sess-v1) …
        let issuedBefore = try await old.tokens.issue(user: "alice")
        let follower = Task { await new.tokens.followRevocations() }
        defer { follower.cancel() }
        while !new.tokens.revocations.isFresh { try await Task.sleep(for: .milliseconds(5)) }
        try await new.app().test(.router) { client in
            let jwks = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            let kids = (try jwks.json()["keys"] as? [[String: Any]])?.compactMap { $0["kid"] as? String } ?? []
            #expect(Set(kids) == ["sess-v1", "sess-v2"])
            // … is still accepted by a server whose current version is 2 (its family lives in the other server's
            // memory store, which does not matter to verification: no store round trip).
            let me = try await client.execute(uri: "/api/me", method: .get, headers: [.authorization: "Bearer \(issuedBefore.accessToken)"])
            #expect(me.status == .ok)
            let issued = try await client.execute(uri: "/token", method: .post, headers: [.contentType: "application/json"],
                                                  body: ByteBuffer(string: #"{"username":"bob","password":"\#(new.password)"}"#))
            let access = try #require(try issued.json()["access_token"] as? String)
            let header = try #require(Data(base64URL: String(access.split(separator: ".")[0])))
            #expect(String(decoding: header, as: UTF8.self).contains(#""kid":"sess-v2""#), "the new version signs")
        }
        // Once version 1 is dropped, its tokens are refused (unknown kid).
        let dropped = try TestServer(tokens: TestServer.memoryTokens(keyring: try SessionKeyring(secrets: "2:\(Self.v2)")))
        #expect(throws: TokenError.self) { try dropped.tokens.verify(issuedBefore.accessToken) }
    }
}

extension Data {
    /// Decodes unpadded base64url.
    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
