// SessionStoreConformanceTests: the semantics every SessionStore must have, run against memory and Redis.

import Foundation
import SessionStore
import Synchronization
import Testing

@Suite("SessionStore conformance", .sharedDeployments, .timeLimit(.minutes(1)))
struct SessionStoreConformanceTests {
    @Test("create, load and typed attributes", arguments: StoreKind.allCases)
    func createAndLoad(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            var session = try await store.create(user: nil)
            #expect(session.token?.rawValue.count == SessionToken.encodedLength)
            #expect(session.user == nil && session.revision == 1)
            try session.set("cart", to: Cart(items: ["apple"]))
            try session.set("theme", to: "dark")
            try await store.save(&session)
            #expect(session.revision == 2 && !session.hasChanges)

            let loaded = try #require(try await store.load(session.token!.rawValue))
            #expect(try loaded.get("cart", as: Cart.self) == Cart(items: ["apple"]))
            #expect(try loaded.get("theme", as: String.self) == "dark")
            #expect(try loaded.get("missing", as: String.self) == nil)
            #expect(loaded.csrfToken == session.csrfToken && loaded.csrfToken.count >= 40)
            #expect(loaded.identity == session.identity && loaded.revision == 2)
            #expect(loaded.createdAt == session.createdAt)
            #expect(loaded.absoluteExpiry.timeIntervalSince(loaded.createdAt).rounded() == 60)

            let bound = try await store.create(user: "alice", attributes: ["n": Array("1".utf8)])
            let loadedBound = try #require(try await store.load(bound.token!.rawValue))
            #expect(loadedBound.user == "alice")
            #expect(try loadedBound.get("n", as: Int.self) == 1)
        }
    }

    @Test("malformed, unknown and foreign tokens are simply no session", arguments: StoreKind.allCases)
    func badTokens(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let valid = try await harness.store.create(user: nil).token!.rawValue
            let trimmed = String(valid.dropLast())
            var candidates: [String] = ["", "x", trimmed, valid + "A", trimmed + "=", trimmed + "/"]
            candidates.append(String(repeating: "A", count: 52))       // well-formed, never issued
            candidates.append("Z" + String(valid.dropFirst()))         // unknown key version
            candidates.append(String(valid.reversed()))
            candidates.append(valid.uppercased())
            candidates.append(valid + "\r\nSet-Cookie: x=1")
            candidates.append(String(repeating: "é", count: 26))
            for candidate in candidates where candidate != valid {
                #expect(try await harness.store.load(candidate) == nil, "\(candidate.prefix(10))… must not load")
            }
            #expect(try await harness.store.load(valid) != nil)
        }
    }

    @Test("saves write only the changed attributes: 200 parallel saves lose nothing", arguments: StoreKind.allCases)
    func parallelSavesOfDifferentAttributes(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let token = try await store.create(user: nil).token!.rawValue
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        var session = try #require(try await store.load(token))
                        try session.set("attribute\(index)", to: index)
                        try await store.save(&session)
                    }
                }
                try await group.waitForAll()
            }
            let session = try #require(try await store.load(token))
            for index in 0..<200 { #expect(try session.get("attribute\(index)", as: Int.self) == index) }
            #expect(session.revision == 201)

            var removing = session
            try removing.remove("attribute0")
            try await store.save(&removing)
            #expect(try await store.load(token)?.rawValue("attribute0") == nil)
            #expect(try await store.load(token)?.attributeNames.count == 199)
        }
    }

    @Test("a revision check turns a lost update into a conflict", arguments: StoreKind.allCases)
    func revisionCheck(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let token = try await store.create(user: nil).token!.rawValue
            var first = try #require(try await store.load(token))
            var second = try #require(try await store.load(token))
            try first.set("x", to: 1)
            try await store.save(&first, checkingRevision: true)
            try second.set("x", to: 2)
            let error = await #expect(throws: SessionStoreError.self) { try await store.save(&second, checkingRevision: true) }
            #expect(error?.code == .conflict)
            #expect(try await store.load(token)?.get("x", as: Int.self) == 1)
        }
    }

    @Test("200 parallel increments give exactly 200", arguments: StoreKind.allCases)
    func parallelIncrements(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let session = try await store.create(user: nil)
            let values = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<200 { group.addTask { try await store.increment(session, "counter", by: 1) } }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(Set(values) == Set(1...200))
            #expect(try await store.load(session.token!.rawValue)?.get("counter", as: Int.self) == 200)
            var text = try #require(try await store.load(session.token!.rawValue))
            try text.set("name", to: "x")
            try await store.save(&text)
            let error = await #expect(throws: SessionStoreError.self) { try await store.increment(session, "name", by: 1) }
            #expect(error?.code == .notANumber)
        }
    }

    @Test("200 parallel renewals leave exactly one valid successor", arguments: StoreKind.allCases)
    func parallelRotations(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            var session = try await store.create(user: nil)
            try session.set("keep", to: "me")
            try await store.save(&session)
            let saved = session
            let results = try await withThrowingTaskGroup(of: Session?.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        do {
                            return try await store.rotate(saved, .renewal)
                        } catch let error as SessionStoreError where error.code == .alreadyRotated {
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [Session]()) { if let successor = $1 { $0.append(successor) } }
            }
            #expect(results.count == 1)
            let successor = try #require(results.first)
            #expect(successor.token != session.token && successor.revision == session.revision + 1)
            #expect(successor.csrfToken == session.csrfToken, "a renewal keeps the CSRF token: requests in flight stay valid")
            #expect(successor.createdAt == session.createdAt && successor.absoluteExpiry == session.absoluteExpiry)
            let loaded = try #require(try await store.load(successor.token!.rawValue))
            #expect(try loaded.get("keep", as: String.self) == "me")
        }
    }

    @Test("after a renewal the old token works during the grace only, then counts as theft", arguments: StoreKind.timed)
    func renewalGrace(kind: StoreKind) async throws {
        // A grace long enough for the eight round trips below even when the whole suite loads the machine.
        var configuration = testConfiguration()
        configuration.rotation.renewalGrace = .seconds(2)
        configuration.expiry.idleTimeout = .seconds(30)
        try await withStore(kind, configuration: configuration) { harness in
            let store = harness.store
            let original = try await store.create(user: nil)
            var loadedBefore = try #require(try await store.load(original.token!.rawValue))
            let renewed = try await store.rotate(original, .renewal)
            // A request that loaded the session before the renewal still saves, increments and touches: to the successor.
            try loadedBefore.set("early", to: 1)
            try await store.save(&loadedBefore)
            #expect(try await store.increment(loadedBefore, "hits", by: 2) == 2)
            #expect(try await store.touch(loadedBefore))
            let successorView = try #require(try await store.load(renewed.token!.rawValue))
            #expect(try successorView.get("early", as: Int.self) == 1)
            #expect(try successorView.get("hits", as: Int.self) == 2)
            // In flight with the old token: it reaches the successor, and writes land there.
            var inFlight = try #require(try await store.load(original.token!.rawValue))
            #expect(inFlight.reachedThroughGrace && inFlight.identity == renewed.identity && inFlight.token == nil)
            try inFlight.set("late", to: true)
            try await store.save(&inFlight)
            #expect(try await store.load(renewed.token!.rawValue)?.get("late", as: Bool.self) == true)
            let again = await #expect(throws: SessionStoreError.self) { try await store.rotate(original, .renewal) }
            #expect(again?.code == .alreadyRotated)

            try await harness.advance(by: .milliseconds(2200))
            #expect(try await store.load(original.token!.rawValue) == nil)
            let afterGrace = await #expect(throws: SessionStoreError.self) { try await store.increment(loadedBefore, "hits", by: 1) }
            #expect(afterGrace?.code == .notFound)
            #expect(try await store.load(renewed.token!.rawValue) != nil, "reported only: the successor lives on")
        }
    }

    @Test("revoke on suspected theft ends the successor too", arguments: StoreKind.allCases)
    func revokeOnTheft(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.rotation.revokeOnSuspectedTheft = true
        try await withStore(kind, configuration: configuration) { harness in
            let original = try await harness.store.create(user: "bob")
            let renewed = try await harness.store.rotate(original, .renewal)
            try await harness.advance(by: .milliseconds(700))
            #expect(try await harness.store.load(original.token!.rawValue) == nil)
            #expect(try await harness.store.load(renewed.token!.rawValue) == nil)
            #expect(try await harness.store.sessions(ofUser: "bob").isEmpty)
        }
    }

    @Test("a privilege change kills the old token at once", arguments: StoreKind.allCases)
    func privilegeChange(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let original = try await harness.store.create(user: "carol")
            let rotated = try await harness.store.rotate(original, .privilegeChange)
            #expect(try await harness.store.load(original.token!.rawValue) == nil)
            #expect(try await harness.store.load(rotated.token!.rawValue)?.user == "carol")
            #expect(try await harness.store.sessions(ofUser: "carol").count == 1)
        }
    }

    @Test("login binds the user, carries the data, and kills the pre-login token (no fixation)", arguments: StoreKind.allCases)
    func login(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            var anonymous = try await store.create(user: nil)
            try anonymous.set("cart", to: Cart(items: ["pear"]))
            try await store.save(&anonymous)
            let loggedIn = try await store.rotate(anonymous, .login(user: "dave"))
            #expect(loggedIn.user == "dave" && loggedIn.csrfToken != anonymous.csrfToken)
            #expect(try await store.load(anonymous.token!.rawValue) == nil)
            let loaded = try #require(try await store.load(loggedIn.token!.rawValue))
            #expect(loaded.user == "dave")
            #expect(try loaded.get("cart", as: Cart.self) == Cart(items: ["pear"]))
            #expect(loaded.createdAt == anonymous.createdAt)
            #expect(try await store.sessions(ofUser: "dave").map(\.handle) == [loggedIn.identity.handle])

            // A stale view (the session changed since it was loaded) logs in with what is stored, not with the view.
            let stale = try await store.create(user: nil)
            var fresh = stale
            try fresh.set("x", to: 1)
            try await store.save(&fresh)
            let second = try await store.rotate(stale, .login(user: "dave"))
            #expect(try second.get("x", as: Int.self) == 1)
            #expect(try await store.load(second.token!.rawValue)?.get("x", as: Int.self) == 1)
            #expect(try await store.load(stale.token!.rawValue) == nil)
            #expect(try await store.sessions(ofUser: "dave").count == 2)
        }
    }

    @Test("nothing brings a destroyed session back", arguments: StoreKind.allCases)
    func destroyIsFinal(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            var session = try await store.create(user: "erin")
            try await store.destroy(session)
            #expect(try await store.load(session.token!.rawValue) == nil)
            try session.set("late", to: 1)
            let save = await #expect(throws: SessionStoreError.self) { try await store.save(&session) }
            #expect(save?.code == .notFound)
            #expect(try await store.touch(session) == false)
            let increment = await #expect(throws: SessionStoreError.self) { try await store.increment(session, "n", by: 1) }
            #expect(increment?.code == .notFound)
            let rotate = await #expect(throws: SessionStoreError.self) { try await store.rotate(session, .renewal) }
            #expect(rotate?.code == .notFound)
            #expect(try await store.load(session.token!.rawValue) == nil)
            #expect(try await store.sessions(ofUser: "erin").isEmpty)
        }
    }

    @Test("idle timeout slides; the absolute lifetime never extends", arguments: StoreKind.timed)
    func expiry(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.expiry.idleTimeout = .milliseconds(1000)
        configuration.expiry.absoluteTimeout = .milliseconds(2500)
        configuration.expiry.touchThreshold = 0
        try await withStore(kind, configuration: configuration) { harness in
            let store = harness.store
            let idle = try await store.create(user: nil)
            try await harness.advance(by: .milliseconds(1300))
            #expect(try await store.load(idle.token!.rawValue) == nil, "idle past the timeout")

            let busy = try await store.create(user: nil)
            for _ in 0..<4 {
                try await harness.advance(by: .milliseconds(500))
                #expect(try await store.load(busy.token!.rawValue) != nil, "activity keeps it alive")
            }
            let renewed = try await store.rotate(busy, .privilegeChange)
            #expect(renewed.absoluteExpiry == busy.absoluteExpiry)
            try await harness.advance(by: .milliseconds(700))
            #expect(try await store.load(renewed.token!.rawValue) == nil, "the absolute lifetime is over despite activity")
        }
    }

    @Test("lazy touch refreshes only after the expiry drifted past the threshold", arguments: StoreKind.allCases)
    func lazyTouch(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.expiry.idleTimeout = .milliseconds(2000)
        configuration.expiry.touchThreshold = 0.25
        try await withStore(kind, configuration: configuration) { harness in
            let session = try await harness.store.create(user: nil)
            try await harness.advance(by: .milliseconds(200))
            let early = try #require(try await harness.store.load(session.token!.rawValue))
            #expect(early.lastAccessAt == session.lastAccessAt, "no write within the threshold")
            try await harness.advance(by: .milliseconds(500))
            let late = try #require(try await harness.store.load(session.token!.rawValue))
            #expect(late.lastAccessAt > session.lastAccessAt, "refreshed once the drift passed 25%")
        }
    }

    @Test("an active session lives until its absolute expiry, not a lazy-touch threshold before it", arguments: StoreKind.timed)
    func activeUntilAbsoluteExpiry(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.expiry.idleTimeout = .milliseconds(2000)
        configuration.expiry.absoluteTimeout = .milliseconds(3000)
        configuration.expiry.touchThreshold = 0.5
        try await withStore(kind, configuration: configuration) { harness in
            let session = try await harness.store.create(user: nil)
            try await harness.advance(by: .milliseconds(1200))
            // Within the threshold (the expiry drifted by exactly 1 s), but the absolute expiry is in reach.
            #expect(try await harness.store.load(session.token!.rawValue) != nil)
            try await harness.advance(by: .milliseconds(1000))
            #expect(try await harness.store.load(session.token!.rawValue) != nil,
                    "past the idle expiry of the creation, still active and within the absolute lifetime")
            try await harness.advance(by: .milliseconds(900))
            #expect(try await harness.store.load(session.token!.rawValue) == nil, "the absolute lifetime is over")
        }
    }

    @Test("the per-user index lists, limits and ends sessions", arguments: StoreKind.allCases)
    func perUserIndex(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            var sessions: [Session] = []
            for _ in 0..<5 {
                sessions.append(try await store.create(user: "frank"))
                try await harness.advance(by: .milliseconds(5))
            }
            #expect(try await store.sessions(ofUser: "frank").map(\.handle) == sessions.map(\.identity.handle))
            // The limit is 5: a sixth evicts the oldest.
            let sixth = try await store.create(user: "frank")
            #expect(try await store.load(sessions[0].token!.rawValue) == nil)
            #expect(try await store.sessions(ofUser: "frank").count == 5)

            #expect(try await store.destroySession(ofUser: "frank", handle: sessions[1].identity.handle))
            #expect(try await store.destroySession(ofUser: "frank", handle: "nope") == false)
            #expect(try await store.load(sessions[1].token!.rawValue) == nil)

            #expect(try await store.destroySessions(ofUser: "frank", keeping: sixth) == 3)
            #expect(try await store.sessions(ofUser: "frank").map(\.handle) == [sixth.identity.handle])
            #expect(try await store.load(sixth.token!.rawValue) != nil)
            #expect(try await store.destroySessions(ofUser: "frank", keeping: nil) == 1)
            #expect(try await store.sessions(ofUser: "frank").isEmpty)
        }
    }

    @Test("the refuse policy rejects sessions past the limit", arguments: StoreKind.allCases)
    func refusePolicy(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.maximumSessionsPerUser = 2
        configuration.limitPolicy = .refuse
        try await withStore(kind, configuration: configuration) { harness in
            _ = try await harness.store.create(user: "gina")
            let second = try await harness.store.create(user: "gina")
            let error = await #expect(throws: SessionStoreError.self) { try await harness.store.create(user: "gina") }
            #expect(error?.code == .limitReached)
            try await harness.store.destroy(second)
            _ = try await harness.store.create(user: "gina")
        }
    }

    @Test("a session over the size limit is refused and nothing is written", arguments: StoreKind.allCases)
    func sizeLimit(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.maximumSessionBytes = 1024
        try await withStore(kind, configuration: configuration) { harness in
            let store = harness.store
            var session = try await store.create(user: nil)
            try session.set("a", to: String(repeating: "x", count: 600))
            try await store.save(&session)
            var second = try #require(try await store.load(session.token!.rawValue))
            try second.set("b", to: String(repeating: "y", count: 600))
            let error = await #expect(throws: SessionStoreError.self) { try await store.save(&second) }
            #expect(error?.code == .tooLarge)
            let stored = try #require(try await store.load(session.token!.rawValue))
            #expect(stored.rawValue("b") == nil && stored.revision == session.revision)
            let big = await #expect(throws: SessionStoreError.self) {
                try await store.create(user: nil, attributes: ["c": Array(repeating: 1, count: 2000)])
            }
            #expect(big?.code == .tooLarge)
        }
    }

    @Test("an attribute that no longer decodes is a typed error for that attribute only", arguments: StoreKind.allCases)
    func undecodableAttribute(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            var session = try await harness.store.create(user: nil)
            try session.set("count", to: "not a number")
            try session.set("ok", to: 7)
            try await harness.store.save(&session)
            let loaded = try #require(try await harness.store.load(session.token!.rawValue))
            let error = #expect(throws: SessionStoreError.self) { try loaded.get("count", as: Int.self) }
            #expect(error?.code == .undecodableAttribute)
            #expect(try loaded.get("ok", as: Int.self) == 7)
            let reserved = #expect(throws: SessionStoreError.self) { var copy = loaded; try copy.set("_r", to: 1) }
            #expect(reserved?.code == .invalidAttributeName)
        }
    }
}
