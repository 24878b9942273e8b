// ClusterClientTests: RedisClient over a redis-cluster:// URL: routing by slot, split pipelines, ASK and MOVED, Pub/Sub, failover.

import EmbeddedRedis
@testable import HiredisClient
import Logging
import Testing

@Suite("RedisClient over Redis Cluster")
struct ClusterClientTests {
    private func withCluster(_ body: @Sendable (RedisClusterProcesses, RedisClient) async throws -> Void) async throws {
        let cluster = try await RedisClusterProcesses.start(replicasPerPrimary: 0)
        let client = RedisClient(configuration: try RedisClientConfiguration(url: cluster.url), logger: Logger(label: "cluster-test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            try await body(cluster, client)
            client.shutdown()
        }
        await cluster.stop()
    }

    @Test("commands go to their slot's primary; pipelines over several nodes keep their order; a transaction must stay on one slot")
    func routes() async throws {
        try await withCluster { _, client in
            for index in 0..<50 {
                #expect(try await client.send("SET", "key:\(index)", "\(index)") == .status("OK"))
            }
            let replies = try await client.pipeline((0..<50).map { RedisCommand("GET", "key:\($0)") } + [RedisCommand("PING")])
            #expect(replies.dropLast().map(\.string) == (0..<50).map { "\($0)" })
            #expect(replies.last == .status("PONG"))
            #expect(try await client.send("PING") == .status("PONG"))
            #expect(try await client.run(RedisScript("return redis.call('GET', KEYS[1])"), keys: ["key:7"]).string == "7")
            #expect(try await client.transaction([RedisCommand("INCR", "{u}a"), RedisCommand("INCR", "{u}b")]) == [.integer(1), .integer(1)])
            let crossing = await #expect(throws: RedisError.self) {
                try await client.transaction([RedisCommand("INCR", "a"), RedisCommand("INCR", "b")])
            }
            #expect(crossing?.code == .notAllowedHere)
            let multiKey = await #expect(throws: RedisError.self) { try await client.send("MGET", "a", "b") }
            #expect(multiKey?.code == .notAllowedHere && multiKey?.message.contains("hash tag") == true)
            // Every primary got its share, and each answers for itself.
            let primaries = try #require(try await client.clusterPrimaries())
            #expect(primaries.count == 3)
            let counts = try #require(client.clusterCommandCounts)
            #expect(counts.count == 3 && counts.values.allSatisfy { $0 > 5 }, "\(counts)")
            var keys = 0
            for node in primaries.values { keys += try await node.send("DBSIZE").int ?? 0 }
            #expect(keys == 52, "the 50 keys, {u}a and {u}b; the refused transaction wrote nothing: \(keys)")
        }
    }

    @Test("a slot being migrated: ASK is followed with ASKING (the map stays), then MOVED moves the slot for good")
    func followsAskAndMoved() async throws {
        try await withCluster { cluster, client in
            let key = "migrating-key"
            let slot = RedisHashSlot(key: key)
            #expect(try await client.send("SET", key, "v1") == .status("OK"))
            let stay = "{\(key)}stay"  // the same slot; stays on the source while the migration is under way
            #expect(try await client.send("SET", stay, 1) == .status("OK"))
            // Find the source (owner) and pick another primary as the target.
            var connections: [Int: RedisConnection] = [:]
            var ids: [Int: String] = [:]
            for node in cluster.nodes {
                let connection = try await RedisConnection.connect(configuration: .init(url: node.url))
                connections[node.port] = connection
                ids[node.port] = try await connection.send("CLUSTER", "MYID").string
            }
            defer { connections.values.forEach { $0.close() } }
            var source: Int?
            for (port, connection) in connections where try await connection.send("CLUSTER", "COUNTKEYSINSLOT", slot.value).int == 2 {
                source = port
            }
            let from = try #require(source)
            let to = try #require(cluster.nodes.map(\.port).first { $0 != from })
            _ = try await connections[to]!.send("CLUSTER", "SETSLOT", slot.value, "IMPORTING", ids[from]!)
            _ = try await connections[from]!.send("CLUSTER", "SETSLOT", slot.value, "MIGRATING", ids[to]!)
            _ = try await connections[from]!.send("MIGRATE", "127.0.0.1", to, "", 0, 5000, "KEYS", key)
            // The source now answers ASK for the key: the client asks the target, after ASKING.
            #expect(try await client.send("GET", key) == .bulk(Array("v1".utf8)))
            #expect(try await client.send("SET", key, "v2") == .status("OK"))
            // A pipeline where one key is still on the source and the other has moved: each command runs once.
            #expect(try await client.pipeline([RedisCommand("INCR", stay), RedisCommand("APPEND", key, "+")])
                == [.integer(2), .integer(3)])
            #expect(try await connections[from]!.send("GET", stay) == .bulk(Array("2".utf8)), "INCR ran once, on the source")
            _ = try await connections[from]!.send("MIGRATE", "127.0.0.1", to, "", 0, 5000, "KEYS", stay)
            for connection in connections.values {
                _ = try await connection.send("CLUSTER", "SETSLOT", slot.value, "NODE", ids[to]!)
            }
            // Now the source answers MOVED: the client follows and remembers.
            #expect(try await client.send("GET", key) == .bulk(Array("v2+".utf8)))
            #expect(try await client.pipeline([RedisCommand("GET", key), RedisCommand("TIME")]).first == .bulk(Array("v2+".utf8)))
            #expect(try await connections[to]!.send("CLUSTER", "COUNTKEYSINSLOT", slot.value).int == 2)
        }
    }

    @Test("Pub/Sub on a cluster: messages arrive from any node; when the subscription's node dies it moves to another, and keyless commands skip the dead node",
          .timeLimit(.minutes(1)))
    func subscriptionMovesOnNodeDeath() async throws {
        try await withCluster { cluster, client in
            var events = client.subscribe(to: ["news"]).makeAsyncIterator()
            #expect(await events.next() == .subscribed(reconnected: false))
            // PUBLISH counts only the receiving node's subscribers; the cluster delivers it to every node.
            _ = try await client.send("PUBLISH", "news", "one")
            #expect(await events.next() == .message(.init(channel: "news", pattern: nil, payload: Array("one".utf8))))
            // The node holding the subscription (PUBSUB NUMSUB counts a node's own subscribers).
            var holder: RedisServerProcess?
            for node in cluster.nodes {
                let connection = try await RedisConnection.connect(configuration: .init(url: node.url))
                if try await connection.send("PUBSUB", "NUMSUB", "news").array?.last == .integer(1) { holder = node }
                connection.close()
            }
            let victim = try #require(holder)
            await victim.kill()
            #expect(await events.next() == .subscribed(reconnected: true))
            // PUBLISH is keyless: it goes to a live primary (a dead one is skipped within the deadline).
            _ = try await client.send("PUBLISH", "news", "after")
            #expect(await events.next() == .message(.init(channel: "news", pattern: nil, payload: Array("after".utf8))))
        }
    }

    @Test("a primary killed: its replica is promoted, the client finds it (refreshing the map) and every key written before is there")
    func followsFailover() async throws {
        let cluster = try await RedisClusterProcesses.start(replicasPerPrimary: 1)
        var configuration = try RedisClientConfiguration(url: cluster.url)
        configuration.connection.timeouts.connect = .milliseconds(300)
        let client = RedisClient(configuration: configuration, logger: Logger(label: "cluster-test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            for index in 0..<30 { _ = try await client.send("SET", "key:\(index)", "\(index)") }
            // Kill the primary of key:0's slot.
            let primaries = try await cluster.primaryPorts()
            var victim: RedisServerProcess?
            for node in cluster.nodes where primaries.contains(node.port) {
                let connection = try await RedisConnection.connect(configuration: .init(url: node.url))
                if try await connection.send("CLUSTER", "COUNTKEYSINSLOT", RedisHashSlot(key: "key:0").value).int == 1 {
                    victim = node
                    // Replication is asynchronous: let the replica confirm the writes, so that the failover loses none.
                    #expect(try await connection.send("WAIT", 1, 2000).int == 1)
                }
                connection.close()
            }
            let killed = try #require(victim)
            await killed.kill()
            let start = ContinuousClock.now
            var servedAfter: Duration?
            while servedAfter == nil, ContinuousClock.now - start < .seconds(30) {
                if (try? await client.send("GET", "key:0")) == .bulk(Array("0".utf8)) { servedAfter = .now - start }
                try await Task.sleep(for: .milliseconds(50))
            }
            let gap = try #require(servedAfter, "key:0 was not served again within 30 s")
            print("cluster failover: key:0 served again \(gap) after its primary was killed")
            // The dead node's pool is shut down once it has been out of the slot map for 2 s, without any command.
            let dead = RedisConnectionConfiguration.Endpoint.tcp(host: "127.0.0.1", port: killed.port)
            let retiring = ContinuousClock.now
            while client.router!.nodesWithClients.contains(dead), ContinuousClock.now - retiring < .seconds(10) {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(!client.router!.nodesWithClients.contains(dead), "the dead node's pool was retired")
            for index in 0..<30 {
                #expect(try await client.send("GET", "key:\(index)") == .bulk(Array("\(index)".utf8)), "key:\(index)")
            }
            client.shutdown()
        }
        await cluster.stop()
    }
}
