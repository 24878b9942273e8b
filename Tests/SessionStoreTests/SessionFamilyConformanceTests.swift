// SessionFamilyConformanceTests: rotation families (theft revocation, grace, logout, CSRF), both stores.

import Foundation
import SessionStore
import Testing

@Suite("SessionStore conformance: rotation families", .sharedDeployments, .timeLimit(.minutes(1)))
struct SessionFamilyConformanceTests {
    @Test("theft after two renewals revokes the whole family: live head, tombstones, index entry", arguments: StoreKind.allCases)
    func theftRevokesTheFamily(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.rotation.revokeOnSuspectedTheft = true
        try await withStore(kind, configuration: configuration) { harness in
            let store = harness.store
            let t0 = try await store.create(user: "ivy")
            let t1 = try await store.rotate(t0, .renewal)
            let t2 = try await store.rotate(t1, .renewal)
            try await harness.advance(by: .milliseconds(700))
            #expect(try await store.load(t0.token!.rawValue) == nil, "a token used after its grace")
            #expect(try await store.load(t2.token!.rawValue) == nil, "the live head of the family is revoked too")
            #expect(try await store.load(t1.token!.rawValue) == nil)
            #expect(try await store.sessions(ofUser: "ivy").isEmpty, "and it left the user's index")
            #expect(try await harness.storedKeyCount() == 0, "nothing of the family is left")
        }
    }

    @Test("a session reached through the grace window can be used but never rotated", arguments: StoreKind.allCases)
    func noRotationFromTheGrace(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            for user in [nil, "jay"] as [String?] {
                let t0 = try await store.create(user: user)
                let t1 = try await store.rotate(t0, .renewal)
                var viaGrace = try #require(try await store.load(t0.token!.rawValue))
                #expect(viaGrace.reachedThroughGrace)
                try viaGrace.set("inFlight", to: 1)
                try await store.save(&viaGrace)       // reads and writes of in-flight requests still work
                for rotation in [RotationKind.renewal, .privilegeChange, .login(user: "jay")] {
                    let error = await #expect(throws: SessionStoreError.self, "\(rotation) from the grace, user \(user ?? "none")") {
                        try await store.rotate(viaGrace, rotation)
                    }
                    #expect(error?.code == .alreadyRotated)
                }
                let successor = try #require(try await store.load(t1.token!.rawValue), "the legitimate successor lives on")
                #expect(try successor.get("inFlight", as: Int.self) == 1 && successor.user == user)
            }
        }
    }

    @Test("logout ends the family's tombstones: an old tab's token is simply no session", arguments: StoreKind.allCases)
    func logoutEndsTombstones(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.rotation.revokeOnSuspectedTheft = true
        try await withStore(kind, configuration: configuration) { harness in
            let store = harness.store
            let t0 = try await store.create(user: nil)
            let t1 = try await store.rotate(t0, .renewal)
            let t2 = try await store.rotate(t1, .renewal)
            try await store.destroy(t2)
            #expect(try await harness.storedKeyCount() == 0, "the tombstones went with the session")
            try await harness.advance(by: .milliseconds(700))
            #expect(try await store.load(t0.token!.rawValue) == nil)

            // A logout with a value loaded before another request renewed the session ends the renewed one.
            let stale = try await store.create(user: "kay")
            let renewedMeanwhile = try await store.rotate(stale, .renewal)
            try await store.destroy(stale)
            #expect(try await store.load(renewedMeanwhile.token!.rawValue) == nil, "logout wins over a parallel renewal")
            #expect(try await store.sessions(ofUser: "kay").isEmpty)
            #expect(try await harness.storedKeyCount() == 0)

            // Logout of every session of a user ends their families too.
            let u0 = try await store.create(user: "kay")
            _ = try await store.rotate(u0, .renewal)
            #expect(try await store.destroySessions(ofUser: "kay", keeping: nil) == 1)
            #expect(try await harness.storedKeyCount() == 0)
        }
    }

    @Test("the CSRF token survives renewals and changes at login and privilege change", arguments: StoreKind.allCases)
    func csrfFollowsTheFamily(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let t0 = try await store.create(user: nil)
            let t1 = try await store.rotate(t0, .renewal)
            let viaGrace = try #require(try await store.load(t0.token!.rawValue))
            let loaded = try #require(try await store.load(t1.token!.rawValue))
            #expect(t1.csrfToken == t0.csrfToken && viaGrace.csrfToken == t0.csrfToken && loaded.csrfToken == t0.csrfToken)
            let loggedIn = try await store.rotate(loaded, .login(user: "lin"))
            #expect(loggedIn.csrfToken != t0.csrfToken)
            #expect(try await store.load(loggedIn.token!.rawValue)?.csrfToken == loggedIn.csrfToken)
            let renewed = try await store.rotate(loggedIn, .renewal)
            #expect(renewed.csrfToken == loggedIn.csrfToken)
            let promoted = try await store.rotate(renewed, .privilegeChange)
            #expect(promoted.csrfToken != loggedIn.csrfToken)
            #expect(try await store.load(promoted.token!.rawValue)?.csrfToken == promoted.csrfToken)
        }
    }
}
