// TokenStoreHarness: runs a token-family test against the in-memory store and the Redis store (one server, a cluster).

import Foundation
import HiredisClient
import Logging
import RedisSessionStore
import EmbeddedRedis
import SessionStore
import SessionTokens
import Testing

/// Which token-family store a test runs against.
enum TokenStoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, redis, cluster
    var testDescription: String { rawValue }
}

/// Short timings, so that the real-time runs stay fast.
func testFamilyConfiguration() -> TokenFamilyConfiguration {
    TokenFamilyConfiguration(absoluteLifetime: .seconds(60), idleLifetime: .seconds(30), grace: .seconds(1),
                             maxFamiliesPerUser: 3, revocationHorizon: .seconds(20))
}

/// A store under test, and the Redis servers behind it (none for memory).
struct TokenStoreHarness: Sendable {
    let store: any TokenFamilyStore
    let kind: TokenStoreKind
    let servers: [RedisServerProcess]
    let client: RedisClient?
}

func withTokenStore(
    _ kind: TokenStoreKind, configuration: TokenFamilyConfiguration = testFamilyConfiguration(),
    durableRevocation: RedisSessionStore.DurableRevocation? = nil,
    _ body: @Sendable (TokenStoreHarness) async throws -> Void
) async throws {
    switch kind {
    case .memory:
        try await body(TokenStoreHarness(store: try MemoryTokenFamilyStore(configuration: configuration), kind: kind, servers: [], client: nil))
    case .redis, .cluster:
        try await RedisDeploymentPool.withDeployment(kind == .redis ? .server : .cluster) { deployment in
            try await withRedisTokenStore(url: deployment.url, servers: deployment.dataNodes, kind: kind, configuration: configuration,
                                          durableRevocation: durableRevocation, body)
        }
    }
}

private func withRedisTokenStore(
    url: String, servers: [RedisServerProcess], kind: TokenStoreKind, configuration: TokenFamilyConfiguration,
    durableRevocation: RedisSessionStore.DurableRevocation?, _ body: @Sendable (TokenStoreHarness) async throws -> Void
) async throws {
    var clientConfiguration = try RedisClientConfiguration(url: url)
    clientConfiguration.pool.connections = .init(minimum: 2, maximum: 4)
    clientConfiguration.connection.timeouts.command = .seconds(1)
    let client = RedisClient(configuration: clientConfiguration, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    let runner = Task { try await client.run() }
    defer {
        client.shutdown()
        runner.cancel()
    }
    let store = try RedisTokenFamilyStore(client: client, keyring: .ephemeral(), configuration: configuration, pollInterval: .milliseconds(100),
                                           durableRevocation: durableRevocation)
    try await body(TokenStoreHarness(store: store, kind: kind, servers: servers, client: client))
    client.shutdown()
    _ = try? await runner.value
}

/// Waits until `condition` holds, checking every 10 ms, for at most `limit`; returns how long it took, or `nil`.
func waitUntil(within limit: Duration, _ condition: () -> Bool) async -> Duration? {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < limit {
        if condition() { return ContinuousClock.now - start }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition() ? ContinuousClock.now - start : nil
}
