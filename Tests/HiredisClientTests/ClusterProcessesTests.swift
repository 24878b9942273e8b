// ClusterProcessesTests: the loopback Redis Cluster the Cluster tests and the bench build on really is one.

import EmbeddedRedis
import HiredisClient
import Testing

@Suite("A loopback Redis Cluster")
struct ClusterProcessesTests {
    @Test("3 primaries with a replica each share every slot, and each key's slot is owned by exactly one primary")
    func settles() async throws {
        let cluster = try await RedisClusterProcesses.start()
        #expect(cluster.nodes.count == 6)
        #expect(try await cluster.primaryPorts().count == 3)
        let table = try await RedisCommandLine.run(["-p", "\(cluster.nodes[0].port)", "CLUSTER", "NODES"])
        #expect(table.split(separator: "\n").filter { $0.contains(" slave ") || $0.contains(",slave ") }.count == 3, "\(table)")
        #expect(cluster.url.hasPrefix("redis-cluster://127.0.0.1:"))
        guard case .cluster(let configuration) = try RedisURL.parseDeployment(cluster.url) else {
            Issue.record("the cluster's URL is not a cluster deployment")
            return
        }
        #expect(configuration.seeds.count == 6)

        // CLUSTER SLOTS: [[start, end, [host, port, id], replicas…], …] covering 0…16383 without gaps.
        let connection = try await RedisConnection.connect(configuration: .init(url: cluster.nodes[0].url))
        defer { connection.close() }
        let slots = try await connection.send("CLUSTER", "SLOTS")
        let ranges = slots.array ?? []
        #expect(ranges.count == 3, "\(slots)")
        let covered = ranges.compactMap { range -> ClosedRange<Int>? in
            // (Redis 7.0 lists a replica here only once it has replicated some data: an idle one is left out.)
            guard let parts = range.array, parts.count >= 3, let start = parts[0].int, let end = parts[1].int else { return nil }
            return start...end
        }.sorted { $0.lowerBound < $1.lowerBound }
        #expect(covered.reduce(0) { $0 + $1.count } == RedisHashSlot.count)
        #expect(zip(covered, covered.dropFirst()).allSatisfy { $0.upperBound + 1 == $1.lowerBound })

        // A key on another node's slot is refused with MOVED, naming that slot.
        let slot = RedisHashSlot(key: "{probe}")
        do {
            #expect(try await connection.send("GET", "{probe}") == .null, "node 0 owns the slot: the key just does not exist")
        } catch let error as RedisError {
            #expect(error.code == .server && error.message.contains("MOVED \(slot.value) "), "\(error)")
        }
        await cluster.stop()
    }
}
