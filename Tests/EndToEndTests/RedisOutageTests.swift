// RedisOutageTests: with Redis killed the service fails closed (503), and it recovers once Redis is back.

import Foundation
import NIOHTTP1
import Testing

/// A topology of its own: killing its Redis must not disturb the other suites.
@Suite("Redis outage", .topology())
struct RedisOutageTests {
    @Test("Redis killed: 503 on protected routes and /healthz, /ping still 200; after a restart the service recovers")
    func redisOutageAndRecovery() async throws {
        let topology = try Topology.required()
        var alice = VirtualUser(topology)
        try await alice.login("alice")
        #expect(try await alice.send(.POST, "/counter/increment").int("value") == 1)

        await topology.killRedis()  // SIGKILL, as a crash would; waits until it is gone

        // Every instance reports the outage on its own port, and still answers /ping.
        for index in topology.instancePorts.indices {
            let health = try await topology.waitUntil("instance \(index + 1) answers /healthz with 503", timeout: .seconds(10)) {
                let reply = try await topology.sendDirect(to: index, .GET, "/healthz")
                return reply.status == 503 ? reply : nil
            }
            #expect(health.string("error") != nil, "\(health.summary)")
            let ping = try await topology.sendDirect(to: index, .GET, "/ping")
            #expect(ping.status == 200, "/ping needs no Redis: \(ping.summary)")
        }
        // Through HAProxy every protected request fails closed: 503 from an instance, or HAProxy's own 503 once
        // its health checks have marked all three down. Never 200, never another 5xx.
        for _ in 0..<3 {
            for (method, path) in [(HTTPMethod.GET, "/me"), (.GET, "/counter"), (.POST, "/counter/increment"), (.GET, "/healthz")] {
                let reply = try await alice.send(method, path)
                #expect(reply.status == 503, "\(method) \(path) while Redis is down: \(reply.summary)")
            }
        }

        try await topology.restartRedis()
        // The instances reconnect (pool back-off at most 5 s), then HAProxy needs two good health checks.
        try await topology.waitUntil("all three instances are healthy again", timeout: .seconds(20), interval: .milliseconds(200)) {
            for index in topology.instancePorts.indices {
                guard try await topology.sendDirect(to: index, .GET, "/healthz").status == 200 else { return nil as Bool? }
            }
            return true
        }
        var seen: Set<String> = []
        try await topology.waitUntil("HAProxy routes to all three instances again", timeout: .seconds(20)) {
            let reply = try await topology.send(.GET, "/ping")
            if reply.status == 200, let instance = reply.instance { seen.insert(instance) }
            return seen.count == 3 ? true : nil
        }

        // The AOF is fsynced on every write, so the acknowledged session and its counter survived the crash.
        let replies = try await topology.sendToEveryInstance("/me", token: try alice.requireToken())
        #expect(replies.allSatisfy { $0.status == 200 && $0.string("user") == "alice" }, "\(replies.map(\.summary))")
        let counter = try await alice.send(.POST, "/counter/increment")
        #expect(counter.status == 200 && counter.int("value") == 2, "\(counter.summary)")
        var bob = VirtualUser(topology)
        try await bob.login("bob")
        #expect(try await bob.send(.GET, "/me").string("user") == "bob", "new logins work again")
    }
}
