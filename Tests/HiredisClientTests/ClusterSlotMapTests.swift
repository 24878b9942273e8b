// ClusterSlotMapTests: slot maps from CLUSTER SHARDS and CLUSTER SLOTS, MOVED updates, and redirection parsing.

import EmbeddedRedis
@testable import HiredisClient
import Testing

@Suite("Cluster slot maps and redirections")
struct ClusterSlotMapTests {
    private func bulk(_ text: String) -> RedisReply { .bulk(Array(text.utf8)) }

    private func node(_ ip: String, _ port: Int, role: String, health: String = "online", tlsPort: Int? = nil) -> RedisReply {
        var fields: [RedisReply] = [bulk("id"), bulk("abc"), bulk("port"), .integer(Int64(port)), bulk("ip"), bulk(ip),
                                    bulk("endpoint"), bulk(ip), bulk("role"), bulk(role), bulk("health"), bulk(health)]
        if let tlsPort { fields += [bulk("tls-port"), .integer(Int64(tlsPort))] }
        return .array(fields)
    }

    @Test("CLUSTER SHARDS: ranges to primaries, online replicas only, TLS ports when asked, '?' hosts are the asked node's")
    func shards() throws {
        let reply = RedisReply.array([
            .array([bulk("slots"), .array([.integer(0), .integer(5000), .integer(5002), .integer(16383)]), bulk("nodes"), .array([
                node("10.0.0.1", 7000, role: "master", tlsPort: 8000),
                node("10.0.0.2", 7001, role: "replica", tlsPort: 8001),
                node("10.0.0.3", 7002, role: "replica", health: "loading"),
            ])]),
            .array([bulk("slots"), .array([.integer(5001), .integer(5001)]), bulk("nodes"), .array([node("?", 7003, role: "master")])]),
        ])
        let map = try #require(ClusterSlotMap(shards: reply, askedHost: "seed", tls: false))
        #expect(map.coversEverySlot)
        #expect(map.primary(for: RedisHashSlot(0)!) == .tcp(host: "10.0.0.1", port: 7000))
        #expect(map.primary(for: RedisHashSlot(5001)!) == .tcp(host: "seed", port: 7003))
        #expect(map.primary(for: RedisHashSlot(16383)!) == .tcp(host: "10.0.0.1", port: 7000))
        #expect(map.shards[0].replicas == [.tcp(host: "10.0.0.2", port: 7001)])
        #expect(map.primaries.count == 2)
        let tls = try #require(ClusterSlotMap(shards: reply, askedHost: "seed", tls: true))
        #expect(tls.primary(for: RedisHashSlot(0)!) == .tcp(host: "10.0.0.1", port: 8000))

        #expect(ClusterSlotMap(shards: .array([.array([bulk("slots")])]), askedHost: "h", tls: false) == nil)
        #expect(ClusterSlotMap(shards: .status("OK"), askedHost: "h", tls: false) == nil)
    }

    @Test("CLUSTER SLOTS, gaps, and MOVED updating one slot")
    func slots() throws {
        let reply = RedisReply.array([
            .array([.integer(0), .integer(99), .array([bulk(""), .integer(7000), bulk("id1")]), .array([bulk("10.0.0.2"), .integer(7001)])]),
            .array([.integer(200), .integer(16383), .array([bulk("10.0.0.3"), .integer(7002)])]),
        ])
        var map = try #require(ClusterSlotMap(slots: reply, askedHost: "seed"))
        #expect(!map.coversEverySlot)
        #expect(map.primary(for: RedisHashSlot(50)!) == .tcp(host: "seed", port: 7000))
        #expect(map.primary(for: RedisHashSlot(150)!) == nil)
        #expect(map.shards[0].replicas == [.tcp(host: "10.0.0.2", port: 7001)])
        map.moved(RedisHashSlot(150)!, to: .tcp(host: "10.0.0.9", port: 7009))
        map.moved(RedisHashSlot(50)!, to: .tcp(host: "10.0.0.3", port: 7002))
        #expect(map.primary(for: RedisHashSlot(150)!) == .tcp(host: "10.0.0.9", port: 7009))
        #expect(map.primary(for: RedisHashSlot(50)!) == .tcp(host: "10.0.0.3", port: 7002))
        #expect(map.primary(for: RedisHashSlot(51)!) == .tcp(host: "seed", port: 7000))
        #expect(ClusterSlotMap(slots: .array([.array([.integer(5), .integer(1), .array([bulk("h"), .integer(1)])])]), askedHost: "h") == nil)
    }

    @Test("MOVED and ASK replies name the slot and the node; other errors are not redirections")
    func redirections() {
        let moved = ClusterRedirection(RedisServerError(message: "MOVED 3999 127.0.0.1:6381"), askedHost: "seed")
        #expect(moved == ClusterRedirection(RedisServerError(message: "MOVED 3999 127.0.0.1:6381"), askedHost: "other"))
        #expect(moved?.kind == .moved && moved?.slot.value == 3999 && moved?.endpoint == .tcp(host: "127.0.0.1", port: 6381))
        let ask = ClusterRedirection(RedisServerError(message: "ASK 12 :7000"), askedHost: "seed")
        #expect(ask?.kind == .ask && ask?.endpoint == .tcp(host: "seed", port: 7000))
        #expect(ClusterRedirection(RedisServerError(message: "MOVED 1 ::1:7000"), askedHost: "h")?.endpoint == .tcp(host: "::1", port: 7000))
        for other in ["ERR unknown", "MOVED 16384 h:1", "MOVED x h:1", "MOVED 1 h", "MOVED 1 h:0", "ASK 1", "TRYAGAIN Multiple keys"] {
            #expect(ClusterRedirection(RedisServerError(message: other), askedHost: "h") == nil, "\(other)")
        }
    }

    @Test("a real cluster's CLUSTER SHARDS and CLUSTER SLOTS give the same map, and each key's primary serves it")
    func realCluster() async throws {
        let cluster = try await RedisClusterProcesses.start()
        let seed = try await RedisConnection.connect(configuration: .init(url: cluster.nodes[0].url))
        defer { seed.close() }
        let shards = try #require(ClusterSlotMap(shards: try await seed.send("CLUSTER", "SHARDS"), askedHost: "127.0.0.1", tls: false))
        let slots = try #require(ClusterSlotMap(slots: try await seed.send("CLUSTER", "SLOTS"), askedHost: "127.0.0.1"))
        #expect(shards.coversEverySlot && slots.coversEverySlot)
        #expect(Set(shards.primaries) == Set(slots.primaries) && shards.primaries.count == 3)
        // (Redis 7.0 reports a replica that has replicated nothing yet as "loading": an idle cluster's are left out.)
        #expect(shards.shards.allSatisfy { $0.replicas.count <= 1 })
        for index in 0..<30 {
            let key = "key:\(index)"
            let primary = try #require(shards.primary(for: RedisHashSlot(key: key)))
            guard case .tcp(let host, let port) = primary else { continue }
            let connection = try await RedisConnection.connect(configuration: .init(endpoint: .tcp(host: host, port: port)))
            #expect(try await connection.send("SET", key, "v") == .status("OK"), "the map's primary for \(key) serves it")
            connection.close()
        }
        await cluster.stop()
    }
}
