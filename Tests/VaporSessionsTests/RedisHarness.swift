// RedisHarness: a fresh redis-server, a client on it and a RedisSessionStore, for the Vapor tests.

import EmbeddedRedis
import HiredisClient
import Logging
import RedisSessionStore
import SessionStore

/// Runs `body` with a `RedisSessionStore` on a fresh redis-server (and the server, to kill it; the server is
/// killed when its value goes away).
func withRedisStore(
    sessions: SessionConfiguration = .init(),
    _ body: @Sendable (RedisSessionStore, RedisServerProcess) async throws -> Void
) async throws {
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
    // The short lease timeout is for the outage tests; the first connection may take longer to open on a loaded
    // machine, so open it before the test starts.
    _ = try await client.withConnection(timeout: .seconds(30)) { try await $0.send("PING") }
    let store = try RedisSessionStore(redis: client, keyring: .ephemeral(), configuration: .init(sessions: sessions))
    try await body(store, server)
    client.shutdown()
    _ = try? await runner.value
}
