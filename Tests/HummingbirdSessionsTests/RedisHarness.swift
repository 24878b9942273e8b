// RedisHarness: a fresh redis-server and a client on it, for the tests that need a real Redis.

import HiredisClient
import Logging
import EmbeddedRedis

/// Runs `body` with a client connected to a fresh redis-server (and the server, to stop it).
func withRedis(_ body: @Sendable (RedisClient, RedisServerProcess) async throws -> Void) async throws {
    let server = try await RedisServerProcess.start()
    var configuration = try RedisClientConfiguration(url: server.url)
    configuration.pool.connections = .init(minimum: 1, maximum: 2)
    configuration.pool.timeouts.leaseTimeout = .milliseconds(500)
    configuration.connection.timeouts.command = .seconds(1)
    let client = RedisClient(configuration: configuration, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    let runner = Task { try await client.run() }
    defer {
        client.shutdown()
        runner.cancel()
    }
    // The short lease timeout is for the tests' outage cases; the first connection may take longer to open on a
    // loaded machine, so open it before the test starts.
    _ = try await client.withConnection(timeout: .seconds(30)) { try await $0.send("PING") }
    try await body(client, server)
    client.shutdown()
    _ = try? await runner.value
}
