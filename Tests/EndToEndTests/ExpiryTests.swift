// ExpiryTests: with short timeouts, an idle session dies after the idle timeout and a busy one at the absolute one.

import Foundation
import Testing

/// A topology of its own with `--idle-timeout 1500ms --absolute-timeout 4s` (the server accepts any positive
/// idle timeout and an absolute timeout not shorter than it).
@Suite("Session expiry", .topology(TopologyOptions(idleTimeout: "1500ms", absoluteTimeout: "4s")))
struct ExpiryTests {
    static let idle = Duration.milliseconds(1500)
    static let absolute = Duration.seconds(4)

    @Test("idle timeout: a session left alone dies after 1.5 s")
    func idleTimeout() async throws {
        let topology = try Topology.required()
        var alice = VirtualUser(topology)
        let login = try await alice.login("alice")
        try expectSessionCookie(login, maxAgeAtMost: 4, step: "POST /login with a 4 s absolute timeout")
        let token = try alice.requireToken()
        let me = try await topology.send(.GET, "/me", token: token)
        let touched = ContinuousClock.now  // the last use the server saw happened before this
        #expect(me.status == 200, "\(me.summary)")

        try await Task.sleep(until: touched + Self.idle + .milliseconds(500))
        for reply in try await topology.sendToEveryInstance("/me", token: token) {
            #expect(reply.status == 401, "idle for longer than the idle timeout: \(reply.summary)")
        }
    }

    @Test("absolute timeout: a session kept busy still dies after 4 s")
    func absoluteTimeout() async throws {
        let topology = try Topology.required()
        var alice = VirtualUser(topology)
        let started = ContinuousClock.now  // the session is created by the GET /csrf inside login, after this
        try await alice.login("alice")
        let token = try alice.requireToken()

        // Use the session every 250 ms (well within the idle timeout) until it is refused.
        var lastAlive = started
        var refusedAt: ContinuousClock.Instant?
        while refusedAt == nil, ContinuousClock.now - started < Self.absolute + .seconds(3) {
            let reply = try await topology.send(.GET, "/me", token: token)
            if reply.status == 200 {
                lastAlive = .now
            } else {
                #expect(reply.status == 401, "\(reply.summary)")
                refusedAt = .now
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let died = try #require(refusedAt, "the session outlived its absolute timeout by 3 s")
        #expect(lastAlive - started > Self.idle + .milliseconds(500), "activity kept the session past the idle timeout")
        #expect(died - started >= Self.absolute - .milliseconds(100), "the session died early, after \(died - started)")
        #expect(died - started <= Self.absolute + .seconds(2), "the session died late, after \(died - started)")
        let after = try await topology.sendToEveryInstance("/me", token: token)
        #expect(after.allSatisfy { $0.status == 401 }, "\(after.map(\.summary))")
    }
}
