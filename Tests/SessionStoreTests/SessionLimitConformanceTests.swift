// SessionLimitConformanceTests: logins that lose nothing, and limits every write path enforces, both stores.

import Foundation
import SessionStore
import Testing

@Suite("SessionStore conformance: logins and limits", .sharedDeployments, .timeLimit(.minutes(1)))
struct SessionLimitConformanceTests {
    @Test("a login refused by the per-user limit leaves the anonymous session as it was", arguments: StoreKind.allCases)
    func failedLoginKeepsTheSession(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.maximumSessionsPerUser = 1
        configuration.limitPolicy = .refuse
        try await withStore(kind, configuration: configuration) { harness in
            let store = harness.store
            _ = try await store.create(user: "max")
            var anonymous = try await store.create(user: nil)
            try anonymous.set("cart", to: Cart(items: ["plum"]))
            try await store.save(&anonymous)
            let error = await #expect(throws: SessionStoreError.self) { try await store.rotate(anonymous, .login(user: "max")) }
            #expect(error?.code == .limitReached)
            let kept = try #require(try await store.load(anonymous.token!.rawValue), "the cookie still points at the session")
            #expect(try kept.get("cart", as: Cart.self) == Cart(items: ["plum"]))
            #expect(try await store.sessions(ofUser: "max").count == 1)
        }
    }

    @Test("50 parallel attribute writes racing a login: every acknowledged write is in the logged-in session", arguments: StoreKind.allCases)
    func loginLosesNoWrite(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let anonymous = try await store.create(user: nil)
            let token = anonymous.token!.rawValue
            let view = try #require(try await store.load(token))   // the login request's view, older than the writes
            // A few writes acknowledged before the race, so that the check below never passes on nothing.
            for index in 0..<5 {
                var session = try #require(try await store.load(token))
                try session.set("w\(index)", to: index)
                try await store.save(&session)
            }
            // Each task reports the write it got acknowledged, or the logged-in session.
            var outcomes = try await withThrowingTaskGroup(of: (Int?, Session?).self) { group in
                for index in 5..<50 {
                    group.addTask {
                        guard var session = try await store.load(token) else { return (nil, nil) }
                        try session.set("w\(index)", to: index)
                        do { try await store.save(&session) } catch let error as SessionStoreError where error.code == .notFound { return (nil, nil) }
                        return (index, nil)
                    }
                    if index == 25 { group.addTask { (nil, try await store.rotate(view, .login(user: "mo"))) } }
                }
                return try await group.reduce(into: [(Int?, Session?)]()) { $0.append($1) }
            }
            outcomes += (0..<5).map { ($0, nil) }
            let winner = try #require(outcomes.compactMap(\.1).first)
            let session = try #require(try await store.load(winner.token!.rawValue))
            let written = outcomes.compactMap(\.0)
            #expect(!written.isEmpty)
            for index in written { #expect(try session.get("w\(index)", as: Int.self) == index, "acknowledged write w\(index) lost") }
            #expect(try await store.load(token) == nil)
        }
    }

    @Test("settings the stored metadata cannot hold are refused", arguments: StoreKind.allCases)
    func layoutLimits(kind: StoreKind) async throws {
        var idle = testConfiguration()
        idle.expiry.idleTimeout = .seconds(60 * 86_400)
        idle.expiry.absoluteTimeout = .seconds(90 * 86_400)
        var absolute = testConfiguration()
        absolute.expiry.absoluteTimeout = .seconds(40 * 365 * 86_400)
        var size = testConfiguration()
        size.maximumSessionBytes = 32 << 20
        for configuration in [idle, absolute, size] {
            let error = await #expect(throws: SessionStoreError.self) { try await withStore(kind, configuration: configuration) { _ in } }
            #expect(error?.code == .invalidConfiguration)
        }
        var longest = testConfiguration()
        longest.expiry.idleTimeout = SessionConfiguration.maximumIdleTimeout
        longest.expiry.absoluteTimeout = SessionConfiguration.maximumIdleTimeout
        try await withStore(kind, configuration: longest) { harness in
            let session = try await harness.store.create(user: "nia")
            #expect(try await harness.store.load(session.token!.rawValue)?.idleTimeout == SessionConfiguration.maximumIdleTimeout)
        }
    }

    @Test("increments respect the size limit; reserved and empty names are refused on every path", arguments: StoreKind.allCases)
    func everyWritePathIsChecked(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.maximumSessionBytes = 256
        try await withStore(kind, configuration: configuration) { harness in
            let store = harness.store
            var session = try await store.create(user: "ola")
            var refused: SessionStoreError?
            for index in 0..<100 {
                do { _ = try await store.increment(session, "counter-number-\(index)", by: 1) } catch let error as SessionStoreError {
                    refused = error
                    break
                }
            }
            #expect(refused?.code == .tooLarge)
            let stored = try #require(try await store.load(session.token!.rawValue))
            #expect(stored.byteCount <= 256)
            #expect(try await store.increment(session, "counter-number-0", by: 5) == 6, "within the limit still works")
            for name in ["_u", "", "_", "_t"] {
                let error = #expect(throws: SessionStoreError.self) { try session.remove(name) }
                #expect(error?.code == .invalidAttributeName)
                let increment = await #expect(throws: SessionStoreError.self) { try await store.increment(session, name, by: 1) }
                #expect(increment?.code == .invalidAttributeName)
            }
            try session.remove("counter-number-0")
            try await store.save(&session)
            #expect(try await store.load(session.token!.rawValue)?.user == "ola")
            #expect(try await store.sessions(ofUser: "ola").count == 1)
        }
    }

    @Test("anonymous sessions get the shorter idle timeout; a login gives the full one", arguments: StoreKind.allCases)
    func anonymousIdleTimeout(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.expiry.anonymousIdleTimeout = .milliseconds(500)
        try await withStore(kind, configuration: configuration) { harness in
            let store = harness.store
            let idle = try await store.create(user: nil)
            #expect(idle.idleTimeout == .milliseconds(500))
            let toLogIn = try await store.create(user: nil)
            let bound = try await store.create(user: "pia")
            #expect(bound.idleTimeout == .milliseconds(1500))
            let loggedIn = try await store.rotate(toLogIn, .login(user: "pia"))
            #expect(loggedIn.idleTimeout == .milliseconds(1500))
            try await harness.advance(by: .milliseconds(800))
            #expect(try await store.load(idle.token!.rawValue) == nil, "past the anonymous idle timeout")
            #expect(try await store.load(bound.token!.rawValue) != nil)
            #expect(try await store.load(loggedIn.token!.rawValue)?.idleTimeout == .milliseconds(1500))
        }
    }
}
