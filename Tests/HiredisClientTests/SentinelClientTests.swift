// SentinelClientTests: RedisClient over a redis-sentinel:// URL: it writes to the primary and follows a failover.

import EmbeddedRedis
import HiredisClient
import Logging
import Testing

@Suite("RedisClient over Sentinel")
struct SentinelClientTests {
    @Test("commands go to the primary; when it dies the client follows the promoted replica, and no READONLY reaches a caller")
    func followsFailover() async throws {
        let deployment = try await RedisSentinelProcesses.start()
        let (primary, replica) = (deployment.dataNodes[0], deployment.dataNodes[1])
        var configuration = try RedisClientConfiguration(url: deployment.url)
        configuration.connection.timeouts.connect = .milliseconds(500)
        configuration.connection.timeouts.command = .milliseconds(500)
        let client = RedisClient(configuration: configuration, logger: Logger(label: "sentinel-test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            #expect(try await client.send("SET", "greeting", "hello") == .status("OK"))
            #expect(try await client.send("CONFIG", "GET", "port").array?.last?.int == primary.port)

            await primary.kill()
            // Until the sentinels promote the replica, commands fail (the primary is gone), but never with READONLY.
            var promotedAt: ContinuousClock.Instant?
            var servedAt: ContinuousClock.Instant?
            let start = ContinuousClock.now
            var index = 0
            while servedAt == nil, ContinuousClock.now - start < .seconds(40) {
                index += 1
                if promotedAt == nil, (try? await deployment.primaryPort()) == replica.port { promotedAt = .now }
                do {
                    _ = try await client.send("SET", "key:\(index)", "\(index)")
                    if promotedAt != nil { servedAt = .now }
                } catch let error as RedisError {
                    #expect(error.serverError?.code != "READONLY", "\(error)")
                } catch {
                    // Pool errors (circuit open, lease timeout) while no primary answers.
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let (promoted, served) = try (#require(promotedAt), #require(servedAt))
            #expect(served - promoted < .seconds(5), "followed \(served - promoted) after the promotion")
            #expect(try await client.send("CONFIG", "GET", "port").array?.last?.int == replica.port)
            #expect(try await client.send("GET", "greeting") == .bulk(Array("hello".utf8)), "the replica had the write")
            client.shutdown()
        }
        await deployment.stop()
    }

    @Test("a forced failover (the old primary lives on as a replica): +switch-master moves the client, no caller sees READONLY")
    func followsSwitchMaster() async throws {
        let deployment = try await RedisSentinelProcesses.start()
        let replica = deployment.dataNodes[1]
        let client = RedisClient(configuration: try RedisClientConfiguration(url: deployment.url), logger: Logger(label: "sentinel-test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            #expect(try await client.send("SET", "before", "1") == .status("OK"))
            try await RedisCommandLine.run(["-p", "\(deployment.sentinels[0].port)", "SENTINEL", "FAILOVER", deployment.primaryName])
            let start = ContinuousClock.now
            var onReplica = false
            var index = 0
            while !onReplica, ContinuousClock.now - start < .seconds(30) {
                index += 1
                do {
                    _ = try await client.pipeline([RedisCommand("SET", "key:\(index)", index), RedisCommand("CONFIG", "GET", "port")])
                    onReplica = try await client.send("CONFIG", "GET", "port").array?.last?.int == replica.port
                } catch let error as RedisError {
                    #expect(error.serverError?.code != "READONLY", "\(error)")
                } catch {}
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(onReplica, "the client did not move to the promoted replica")
            #expect(try await client.send("SET", "after", "1") == .status("OK"))
            client.shutdown()
        }
        await deployment.stop()
    }
}
