// BearerTokenTests: through HAProxy, bearer tokens work on every instance and revocations reach all of them in 1 s.

import Foundation
import NIOHTTP1
import Testing

/// The topology with a short refresh grace (700 ms), so that reuse can be shown quickly.
@Suite("Bearer tokens through HAProxy", .serialized, .topology({
    var options = TopologyOptions()
    options.refreshGrace = "700ms"
    return options
}()))
struct BearerTokenTests {
    static let grace: Duration = .milliseconds(700)

    /// `POST /token` for a demo user; returns the reply's JSON fields.
    func token(_ topology: Topology, user: String = "alice") async throws -> (access: String, refresh: String) {
        let reply = try await topology.send(.POST, "/token", json: #"{"username":"\#(user)","password":"\#(Topology.password)"}"#)
        guard reply.status == 200, let access = reply.string("access_token"), let refresh = reply.string("refresh_token") else {
            throw TopologyError("POST /token: \(reply.summary)")
        }
        #expect(reply.string("token_type") == "Bearer")
        #expect(reply.int("expires_in") == 300)
        #expect(reply.headers.first(name: "Cache-Control") == "no-store")
        return (access, refresh)
    }

    func refresh(_ topology: Topology, _ refreshToken: String) async throws -> Reply {
        try await topology.send(.POST, "/token/refresh", json: #"{"refresh_token":"\#(refreshToken)"}"#)
    }

    /// `GET /api/me` with a bearer token until all three instances answered; the replies.
    func meOnEveryInstance(_ topology: Topology, _ access: String) async throws -> [Reply] {
        var replies: [Reply] = []
        var seen: Set<String> = []
        for _ in 0..<15 where seen.count < Topology.instanceIDs.count {
            let reply = try await topology.send(.GET, "/api/me", headers: [("Authorization", "Bearer \(access)")])
            replies.append(reply)
            if let instance = reply.instance { seen.insert(instance) }
        }
        return replies
    }

    /// Polls every instance until each refuses `access`; returns how long that took from `since`.
    func refusedEverywhere(_ topology: Topology, _ access: String, since: ContinuousClock.Instant) async throws -> Duration? {
        var refused: Set<String> = []
        while ContinuousClock.now - since < .seconds(3) {
            for index in 0..<Topology.instanceIDs.count where !refused.contains(Topology.instanceIDs[index]) {
                let reply = try await topology.sendDirect(to: index, .GET, "/api/me", headers: [("Authorization", "Bearer \(access)")])
                if reply.status == 401 {
                    #expect(reply.headers.first(name: "WWW-Authenticate") == #"Bearer error="invalid_token""#)
                    refused.insert(Topology.instanceIDs[index])
                }
            }
            if refused.count == Topology.instanceIDs.count { return ContinuousClock.now - since }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test("a token from one instance works on all three; refresh rotates; the JWKS is the same everywhere")
    func tokenFlow() async throws {
        let topology = try Topology.required()
        let (access, refresh) = try await token(topology)
        let replies = try await meOnEveryInstance(topology, access)
        #expect(Set(replies.compactMap(\.instance)) == Set(Topology.instanceIDs))
        for reply in replies {
            #expect(reply.status == 200, "\(reply.summary)")
            #expect(reply.string("user") == "alice")
            #expect(reply.string("instance") == reply.instance)
            #expect(reply.date("expiresAt") != nil)
        }
        #expect(Set(replies.compactMap { $0.string("family") }).count == 1)

        let rotated = try await self.refresh(topology, refresh)
        #expect(rotated.status == 200, "\(rotated.summary)")
        let newAccess = try #require(rotated.string("access_token"))
        #expect(rotated.string("refresh_token") != refresh)
        let me = try await topology.send(.GET, "/api/me", headers: [("Authorization", "Bearer \(newAccess)")])
        #expect(me.string("family") == replies.first?.string("family"), "a refresh keeps the family")

        var keys: Set<String> = []
        for index in 0..<Topology.instanceIDs.count {
            let jwks = try await topology.sendDirect(to: index, .GET, "/.well-known/jwks.json")
            #expect(jwks.status == 200)
            #expect(jwks.headers.first(name: "Cache-Control")?.contains("max-age") == true)
            keys.insert(jwks.body)
            #expect(!jwks.body.contains("\"d\""), "no private key material")
        }
        #expect(keys.count == 1, "instances sharing the secret publish the same keys")
    }

    @Test("refresh-token reuse revokes the family: its access token is refused by all three instances within 1 s")
    func reuseRevokesEverywhere() async throws {
        let topology = try Topology.required()
        let (_, refresh) = try await token(topology)
        let rotated = try await self.refresh(topology, refresh)
        let current = try #require(rotated.string("access_token"))
        let successor = try #require(rotated.string("refresh_token"))
        #expect(try await meOnEveryInstance(topology, current).allSatisfy { $0.status == 200 })
        try await Task.sleep(for: Self.grace + .milliseconds(300))

        let reuse = try await self.refresh(topology, refresh)
        let reusedAt = ContinuousClock.now
        #expect(reuse.status == 401, "\(reuse.summary)")
        #expect(reuse.string("error") == "invalid_grant")
        let took = try await refusedEverywhere(topology, current, since: reusedAt)
        #expect(took != nil && took! <= .seconds(1), "refused everywhere after \(took.map { "\($0)" } ?? "more than 3 s")")
        print("tokens: after a refresh-token reuse, the family's access token was refused by all three instances within \(took.map { "\($0)" } ?? "-")")
        // The successor refresh token died with the family.
        #expect(try await self.refresh(topology, successor).string("error") == "invalid_grant")
    }

    @Test("two concurrent refreshes within the grace both succeed with the same successor")
    func concurrentRefreshes() async throws {
        let topology = try Topology.required()
        let (_, refresh) = try await token(topology)
        async let first = self.refresh(topology, refresh)
        async let second = self.refresh(topology, refresh)
        let (one, two) = try await (first, second)
        #expect(one.status == 200 && two.status == 200, "\(one.summary) / \(two.summary)")
        #expect(one.string("refresh_token") == two.string("refresh_token"))
        let next = try await self.refresh(topology, try #require(one.string("refresh_token")))
        #expect(next.status == 200, "the family survived: \(next.summary)")
    }

    @Test("bearer logout-all ends every family and cookie session of the user, on every instance within 1 s")
    func logoutAll() async throws {
        let topology = try Topology.required()
        let (first, _) = try await token(topology, user: "bob")
        let (second, _) = try await token(topology, user: "bob")
        var browser = VirtualUser(topology)
        try await browser.login("bob")
        let ended = try await topology.send(.POST, "/api/logout-all", headers: [("Authorization", "Bearer \(first)")])
        let endedAt = ContinuousClock.now
        #expect(ended.status == 200, "\(ended.summary)")
        #expect((ended.int("families") ?? 0) >= 2)
        #expect((ended.int("sessions") ?? 0) >= 1)
        for access in [first, second] {
            let took = try await refusedEverywhere(topology, access, since: endedAt)
            #expect(took != nil && took! <= .seconds(1), "refused everywhere after \(took.map { "\($0)" } ?? "more than 3 s")")
            print("tokens: after logout-all, an access token was refused by all three instances within \(took.map { "\($0)" } ?? "-")")
        }
        #expect(try await browser.send(.GET, "/me").status == 401, "the cookie session ended too")
    }

    @Test("a cookie session mints tokens (CSRF-checked); logging out of it revokes them")
    func tokensFromSession() async throws {
        let topology = try Topology.required()
        var browser = VirtualUser(topology)
        try await browser.login("alice")
        let forged = try await browser.send(.POST, "/token/from-session", withCSRF: false)
        #expect(forged.status == 403, "no CSRF token: \(forged.summary)")
        let minted = try await browser.send(.POST, "/token/from-session")
        #expect(minted.status == 200, "\(minted.summary)")
        let access = try #require(minted.string("access_token"))
        let me = try await topology.send(.GET, "/api/me", headers: [("Authorization", "Bearer \(access)")])
        #expect(me.string("user") == "alice")
        let logout = try await browser.send(.POST, "/logout")
        let loggedOutAt = ContinuousClock.now
        #expect(logout.status == 200)
        let took = try await refusedEverywhere(topology, access, since: loggedOutAt)
        #expect(took != nil && took! <= .seconds(1), "the session's tokens outlived its logout")
    }

    @Test("bad bearer tokens and bad refresh tokens get clear 401s, never a 500")
    func refusals() async throws {
        let topology = try Topology.required()
        let none = try await topology.send(.GET, "/api/me")
        #expect(none.status == 401 && none.headers.first(name: "WWW-Authenticate") == "Bearer")
        let alg = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
        for value in ["Bearer garbage", "Bearer \(alg).e30.", "Basic YWxpY2U6eA==", "Bearer " + String(repeating: "a", count: 9000)] {
            let reply = try await topology.send(.GET, "/api/me", headers: [("Authorization", value)])
            #expect(reply.status == 401, "\(value.prefix(20)): \(reply.summary)")
        }
        for body in [#"{"refresh_token":"nope"}"#, #"{"refresh_token":"\#(String(repeating: "A", count: 52))"}"#, "{}", "not json"] {
            let reply = try await topology.send(.POST, "/token/refresh", json: body)
            #expect(reply.status == 401 && reply.string("error") == "invalid_grant", "\(body): \(reply.summary)")
        }
        let wrong = try await topology.send(.POST, "/token", json: #"{"username":"alice","password":"wrong"}"#)
        #expect(wrong.status == 401)
        for body in [#"{"token":"whatever"}"#, "{}", "not json"] {
            let revoke = try await topology.send(.POST, "/token/revoke", json: body)
            #expect(revoke.status == 200, "RFC 7009: unknown tokens are not an error: \(body)")
        }
    }
}
