// SentinelProcessesTests: the loopback Sentinel deployment the Sentinel tests build on watches and fails over.

import EmbeddedRedis
import HiredisClient
import Testing

@Suite("A loopback Sentinel deployment")
struct SentinelProcessesTests {
    @Test("three sentinels name the primary, and promote the replica when the primary dies")
    func failsOver() async throws {
        let deployment = try await RedisSentinelProcesses.start()
        let (primary, replica) = (deployment.dataNodes[0], deployment.dataNodes[1])
        for sentinel in deployment.sentinels {
            #expect(try await deployment.primaryPort(askingPort: sentinel.port) == primary.port)
        }
        guard case .sentinel(let configuration) = try RedisURL.parseDeployment(deployment.url) else {
            Issue.record("the deployment's URL is not a sentinel deployment")
            return
        }
        #expect(configuration.sentinels.count == 3 && configuration.primaryName == "mymaster")

        await primary.kill()
        let killedAt = ContinuousClock.now
        var promoted = false
        while !promoted, ContinuousClock.now - killedAt < .seconds(30) {
            try await Task.sleep(for: .milliseconds(100))
            promoted = (try? await deployment.primaryPort()) == replica.port
        }
        #expect(promoted, "the replica was not promoted within 30 s")
        let connection = try await RedisConnection.connect(configuration: .init(url: replica.url))
        defer { connection.close() }
        #expect(try await connection.send("ROLE").array?.first?.string == "master")
        await deployment.stop()
    }
}
