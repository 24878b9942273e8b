// SessionEventsConformanceTests: both stores report the lifecycle events (created, logged in, rotated, destroyed,
// expired, suspected theft), with handles and never tokens.

import Foundation
import SessionStore
import Synchronization
import Testing

@Suite("SessionStore conformance: lifecycle events", .sharedDeployments, .timeLimit(.minutes(1)))
struct SessionEventsConformanceTests {
    /// Collects what a subscription delivers until `count` events arrived or `timeout` passed.
    static func collect(_ stream: AsyncStream<SessionEvent>, count: Int, timeout: Duration = .seconds(3)) async -> [SessionEvent] {
        let collected = Mutex<[SessionEvent]>([])
        let reader = Task {
            for await event in stream {
                let total = collected.withLock { $0.append(event); return $0.count }
                if total == count { return }
            }
        }
        let deadline = ContinuousClock.now + timeout
        while collected.withLock({ $0.count }) < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        reader.cancel()
        return collected.withLock { $0 }
    }

    static func names(_ events: [SessionEvent]) -> [String] {
        events.map { event in event.detail.map { "\(event.name):\($0)" } ?? event.name }
    }

    @Test("create, login, renewal, privilege change, logout, logout everywhere, revocation by handle", arguments: [StoreKind.memory, .redis])
    func lifecycle(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let stream = store.configuration.events.subscribe()
            let anonymous = try await store.create(user: nil)
            let session = try await store.rotate(anonymous, .login(user: "eve"), authentication: Authentication())
            let renewed = try await store.rotate(session, .renewal)
            let raised = try await store.rotate(renewed, .privilegeChange)
            try await store.destroy(raised)
            let laptop = try await store.create(user: "eve")
            _ = try await store.create(user: "eve")
            #expect(try await store.destroySession(ofUser: "eve", handle: laptop.identity.handle))
            #expect(try await store.destroySessions(ofUser: "eve", keeping: nil) == 1)
            let events = await Self.collect(stream, count: 12)
            #expect(Self.names(events) == [
                "session.created", "session.logged_in", "session.rotated:login", "session.rotated:renewal",
                "session.rotated:privilege_change", "session.destroyed:logout",
                "session.created", "session.logged_in", "session.created", "session.logged_in",
                "session.destroyed:revocation", "session.destroyed:logout_everywhere",
            ], "\(events)")
            guard events.count == 12 else { return }
            #expect(events[1].subject == .session(handle: session.identity.handle) && events[1].user == "eve")
            #expect(events[0].user == nil && events[0].subject == .session(handle: anonymous.identity.handle))
            #expect(events[10].subject == .session(handle: laptop.identity.handle))
            for event in events {
                for token in [anonymous, session, renewed, raised, laptop].compactMap(\.token?.rawValue) {
                    #expect(!event.description.contains(token), "an event never carries a token")
                }
            }
        }
    }

    @Test("limit eviction, suspected theft with revocation, expiry seen on load", arguments: [StoreKind.memory, .redis])
    func evictionTheftExpiry(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.maximumSessionsPerUser = 1
        configuration.rotation.revokeOnSuspectedTheft = true
        configuration.expiry.absoluteTimeout = .seconds(2)
        try await withStore(kind, configuration: configuration) { harness in
            let store = harness.store
            let stream = store.configuration.events.subscribe()
            let first = try await store.create(user: "mal")
            let second = try await store.create(user: "mal")
            let renewed = try await store.rotate(second, .renewal)
            try await harness.advance(by: .milliseconds(700))   // past the 500 ms grace
            #expect(try await store.load(second.token!.rawValue) == nil, "a renewed-away token after its grace")
            let third = try await store.create(user: "mal")
            // The absolute expiry passes while the session is still held: a load reports it (Redis may already have
            // removed the key itself; then the load simply finds nothing, which is not reported).
            try await harness.advance(by: .milliseconds(2100))
            _ = try await store.load(third.token!.rawValue)
            let events = await Self.collect(stream, count: kind == .memory ? 11 : 10, timeout: .seconds(1))
            let names = Self.names(events)
            #expect(Array(names.prefix(9)) == [
                "session.created", "session.logged_in",
                "session.destroyed:limit_eviction", "session.created", "session.logged_in",
                "session.rotated:renewal", "session.suspected_theft", "session.destroyed:revocation",
                "session.created",
            ], "\(names)")
            guard events.count >= 9 else { return }
            #expect(events[2].subject == .session(handle: first.identity.handle))
            #expect(events[7].subject == .session(handle: renewed.identity.handle) && events[7].user == "mal")
            if kind == .memory { #expect(names.last == "session.expired", "\(names)") }
        }
    }

    @Test("a subscriber that stops listening is dropped; emitting without subscribers costs nothing")
    func subscriptions() async throws {
        let bus = SessionEvents(bufferSize: 2)
        #expect(!bus.hasSubscribers)
        var stream: AsyncStream<SessionEvent>? = bus.subscribe()
        #expect(bus.hasSubscribers)
        for index in 0..<5 { bus.emit(SessionEvent(.created, .session(handle: "h\(index)"), user: nil)) }
        var iterator = stream!.makeAsyncIterator()
        // The buffer keeps the newest two: an overwhelmed subscriber loses the oldest, the emitter never waits.
        #expect(await iterator.next()?.subject == .session(handle: "h3"))
        #expect(await iterator.next()?.subject == .session(handle: "h4"))
        stream = nil
        _ = iterator
        bus.finish()
        #expect(!bus.hasSubscribers)
    }
}
