// SessionSharingTests: through HAProxy, a session made on one instance is honoured (and ended) on all of them.

import Foundation
import Testing

/// The shared topology (default expiry, 1 s renewal grace). Serialized: the hostile-cookie test compares the
/// Redis key count before and after, which other tests running at the same time would change.
@Suite("Through HAProxy", .serialized, .topology())
struct ThroughHAProxyTests {
    @Test("a login through one instance is seen by all three")
    func loginSeenByAllInstances() async throws {
        let topology = try Topology.required()
        var alice = VirtualUser(topology)
        try await alice.login("alice")
        let replies = try await topology.sendToEveryInstance("/me", token: try alice.requireToken())
        #expect(Set(replies.compactMap(\.instance)) == Set(Topology.instanceIDs), "answered by \(replies.map(\.summary))")
        for reply in replies {
            #expect(reply.status == 200, "\(reply.summary)")
            #expect(reply.string("user") == "alice")
            #expect(reply.string("instance") == reply.instance, "the body names the instance that answered")
        }
        #expect(Set(replies.compactMap { $0.string("createdAt") }).count == 1, "one session, one creation time")
    }

    @Test("session fixation fails: the pre-login token is dead after login")
    func sessionFixation() async throws {
        let topology = try Topology.required()
        var victim = VirtualUser(topology)
        try await victim.fetchCSRF()
        let planted = try victim.requireToken()
        // The anonymous session is live: asking again with its cookie answers the same CSRF token, no new cookie.
        let again = try await victim.send(.GET, "/csrf")
        #expect(again.string("csrfToken") == victim.csrf && again.setCookies.isEmpty, "\(again.summary)")
        let anonymousCSRF = victim.csrf

        let login = try await victim.send(.POST, "/login", json: #"{"username":"alice","password":"\#(Topology.password)"}"#)
        #expect(login.status == 200, "\(login.summary)")
        let token = try victim.requireToken()
        #expect(token != planted, "login must issue a new token")
        #expect(login.string("csrfToken") != anonymousCSRF, "login must issue a new CSRF token")

        for reply in try await topology.sendToEveryInstance("/me", token: planted) {
            #expect(reply.status == 401, "the planted token must not reach the session: \(reply.summary)")
        }
        #expect(try await topology.send(.GET, "/counter", token: planted).status == 401)
        let me = try await topology.send(.GET, "/me", token: token)
        #expect(me.status == 200 && me.string("user") == "alice", "\(me.summary)")
    }

    @Test("renewal: the old token works within the 1 s grace, not after; the new one works")
    func renewalGrace() async throws {
        let topology = try Topology.required()
        var alice = VirtualUser(topology)
        try await alice.login("alice")
        let old = try alice.requireToken()
        #expect(try await alice.send(.POST, "/counter/increment").int("value") == 1)

        let renew = try await alice.send(.POST, "/renew")
        let renewedAt = ContinuousClock.now
        #expect(renew.status == 200, "\(renew.summary)")
        let new = try alice.requireToken()
        #expect(new != old)
        alice.csrf = renew.string("csrfToken")
        #expect(alice.csrf != nil, "renewal answers a new CSRF token")

        let inGrace = try await topology.send(.GET, "/me", token: old)
        #expect(ContinuousClock.now - renewedAt < .seconds(1), "the in-grace request itself took too long")
        #expect(inGrace.status == 200 && inGrace.string("user") == "alice", "old token within the grace: \(inGrace.summary)")
        #expect(try await alice.send(.POST, "/counter/increment").int("value") == 2, "the new token and CSRF token work")

        try await Task.sleep(until: renewedAt + .milliseconds(1500))
        for reply in try await topology.sendToEveryInstance("/me", token: old) {
            #expect(reply.status == 401, "old token after the grace: \(reply.summary)")
        }
        let after = try await alice.send(.GET, "/counter")
        #expect(after.status == 200 && after.int("value") == 2, "the renewed session lives on: \(after.summary)")
    }

    @Test("logout through one instance is honoured by all three")
    func logoutHonouredEverywhere() async throws {
        let topology = try Topology.required()
        var alice = VirtualUser(topology)
        try await alice.login("alice")
        let token = try alice.requireToken()
        #expect(try await topology.send(.GET, "/me", token: token).status == 200)

        let logout = try await alice.send(.POST, "/logout")
        #expect(logout.status == 200, "\(logout.summary)")
        #expect(alice.token == nil, "the logout response clears the cookie: \(logout.setCookies)")
        let replies = try await topology.sendToEveryInstance("/me", token: token)
        #expect(Set(replies.compactMap(\.instance)) == Set(Topology.instanceIDs), "answered by \(replies.map(\.summary))")
        for reply in replies {
            #expect(reply.status == 401, "\(reply.summary)")
            #expect(reply.string("error") != nil, "errors are JSON: \(reply.summary)")
        }
    }

    @Test("logout-all ends every session of the user; ?keep-current=1 spares the current one")
    func logoutAll() async throws {
        let topology = try Topology.required()  // bob: no other test uses him, so his session count is known
        var laptop = VirtualUser(topology)
        var phone = VirtualUser(topology)
        try await laptop.login("bob")
        try await phone.login("bob")
        let listed = try await laptop.send(.GET, "/sessions")
        let sessions = try #require(listed.json?["sessions"] as? [[String: Any]], "\(listed.summary)")
        #expect(sessions.count == 2 && sessions.filter { $0["current"] as? Bool == true }.count == 1, "\(listed.summary)")

        let all = try await laptop.send(.POST, "/logout-all")
        #expect(all.status == 200 && all.int("ended") == 2, "\(all.summary)")
        #expect(try await phone.send(.GET, "/me").status == 401, "the other session is over")
        #expect(try await laptop.send(.GET, "/me").status == 401, "so is the current one")

        try await laptop.login("bob")
        try await phone.login("bob")
        let others = try await laptop.send(.POST, "/logout-all?keep-current=1")
        #expect(others.status == 200 && others.int("ended") == 1, "\(others.summary)")
        let kept = try await laptop.send(.GET, "/me")
        #expect(kept.status == 200 && kept.string("user") == "bob", "the current session survives: \(kept.summary)")
        #expect(try await phone.send(.GET, "/me").status == 401, "the other one does not")
        let remaining = try await laptop.send(.GET, "/sessions").json?["sessions"] as? [[String: Any]]
        #expect(remaining?.count == 1)
    }
}
