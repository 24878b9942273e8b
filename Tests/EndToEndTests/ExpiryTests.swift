// ExpiryTests: with short timeouts, an idle session dies after the idle timeout and a busy one at the absolute one.

import Foundation
import Testing

/// A topology of its own with `--idle-timeout 1500ms --absolute-timeout 4s` (the server accepts any positive
/// idle timeout and an absolute timeout not shorter than it).
@Suite("Session expiry", .topology(TopologyOptions(idleTimeout: "1500ms", absoluteTimeout: "4s")))
struct ExpiryTests {
    static let idle = Duration.milliseconds(1500)

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
        let started = Date()  // the wall clock Redis's TIME also reads on this machine
        try await alice.login("alice")
        let token = try alice.requireToken()
        let first = try await topology.send(.GET, "/me", token: token)
        let created = try #require(first.date("createdAt"), "\(first.summary)")
        #expect(created.timeIntervalSince(started) > -0.05, "created \(created) before the test began at \(started)")
        let absoluteExpiry = created.addingTimeInterval(4)

        // Use the session every 200 ms (well within the idle timeout) until it is refused.
        var timeline: [(sent: Date, received: Date, reply: Reply)] = []
        while timeline.last.map({ $0.reply.status == 200 }) ?? true, Date() < absoluteExpiry.addingTimeInterval(3) {
            let sent = Date()
            let reply = try await topology.send(.GET, "/me", token: token)
            timeline.append((sent, Date(), reply))
            #expect(reply.status == 200 || reply.status == 401, "\(reply.summary)")
            try await Task.sleep(for: .milliseconds(200))
        }
        // Times in seconds since creation: sent→received:status(expiresAt)
        let described = timeline.map {
            String(format: "%.3f→%.3f:%d(%.3f)", $0.sent.timeIntervalSince(created), $0.received.timeIntervalSince(created),
                   $0.reply.status, $0.reply.date("expiresAt")?.timeIntervalSince(created) ?? -1)
        }.joined(separator: " ")
        let refusal = try #require(timeline.last.flatMap { $0.reply.status == 401 ? $0 : nil }, "outlived its absolute timeout by 3 s: \(described)")
        let lastAlive = try #require(timeline.last { $0.reply.status == 200 }, "never alive: \(described)")
        #expect(lastAlive.received.timeIntervalSince(created) > 2, "activity kept it past the 1.5 s idle timeout: \(described)")
        // The lazy touch refreshes once more when the absolute expiry comes within reach, so near the end the
        // expiry is the absolute one (give or take a millisecond of rounding) and the session is refused only then.
        let rounding = 0.002
        let lastExpiry = try #require(lastAlive.reply.date("expiresAt"), "\(lastAlive.reply.summary)")
        #expect(lastExpiry <= absoluteExpiry.addingTimeInterval(0.001), "the expiry never passes the absolute one: \(described)")
        #expect(lastExpiry >= absoluteExpiry.addingTimeInterval(-rounding), "near the end the absolute expiry rules: \(described)")
        #expect(refusal.received > absoluteExpiry.addingTimeInterval(-rounding), "refused before the absolute expiry: \(described)")
        #expect(refusal.sent < absoluteExpiry.addingTimeInterval(1), "still alive 1 s after the absolute expiry: \(described)")
        let after = try await topology.sendToEveryInstance("/me", token: token)
        #expect(after.allSatisfy { $0.status == 401 }, "\(after.map(\.summary))")
    }
}
