// SentinelResolverTests: finding a Sentinel-watched primary on real processes, through a failover and outages.

import EmbeddedRedis
@testable import HiredisClient
import Logging
import NIOPosix
import Testing

@Suite("Sentinel: finding the primary")
struct SentinelResolverTests {
    private func resolver(_ sentinels: [RedisConnectionConfiguration.Endpoint], name: String = "mymaster") -> SentinelResolver {
        var node = RedisConnectionConfiguration()
        node.timeouts.connect = .milliseconds(500)
        return SentinelResolver(
            configuration: .init(sentinels: sentinels, primaryName: name, node: node),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
    }

    @Test("asks the sentinels in turn (a dead one is skipped, the one that answered goes first), follows a failover, and fails with noPrimary")
    func resolves() async throws {
        let deployment = try await RedisSentinelProcesses.start()
        let dead = RedisConnectionConfiguration.Endpoint.tcp(host: "127.0.0.1", port: try RedisServerProcess.freeLoopbackPort())
        let live = deployment.sentinels.map { RedisConnectionConfiguration.Endpoint.tcp(host: "127.0.0.1", port: $0.port) }
        let resolver = resolver([dead] + live)
        #expect(try await resolver.resolvePrimary(sslContext: nil) == .tcp(host: "127.0.0.1", port: deployment.dataNodes[0].port))
        #expect(resolver.sentinels.first == live[0], "the sentinel that answered is asked first next time")

        let unknown = await #expect(throws: RedisError.self) { try await self.resolver(live, name: "nosuch").resolvePrimary(sslContext: nil) }
        #expect(unknown?.code == .noPrimary && unknown?.message.contains("does not know 'nosuch'") == true)

        // The primary dies: until the sentinels promote the replica, resolution fails with noPrimary (never the dead
        // node as an answer); then it names the replica, which answers ROLE as a primary.
        await deployment.dataNodes[0].kill()
        let replica = RedisConnectionConfiguration.Endpoint.tcp(host: "127.0.0.1", port: deployment.dataNodes[1].port)
        let killedAt = ContinuousClock.now
        var found: RedisConnectionConfiguration.Endpoint?
        while found == nil, ContinuousClock.now - killedAt < .seconds(30) {
            do {
                found = try await resolver.resolvePrimary(sslContext: nil)
            } catch {
                #expect(error.code == .noPrimary, "\(error)")
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(found == replica)

        for sentinel in deployment.sentinels { await sentinel.kill() }
        let down = await #expect(throws: RedisError.self) { try await resolver.resolvePrimary(sslContext: nil) }
        #expect(down?.code == .noPrimary && down?.message.contains("connectFailed") == true, "\(String(describing: down))")
        await deployment.stop()
    }
}
