// StoreHarness: runs a conformance test against the in-memory store (test clock) and the Redis store (real server).

import Foundation
import HiredisClient
import Logging
import RedisSessionStore
import EmbeddedRedis
import SessionStore
import Testing

/// Which store a conformance test runs against.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// `sentinel`: the Redis store on a client that finds its primary through a sentinel; `cluster`: on a client
    /// that routes over a 3-primary Redis Cluster.
    case memory, redis, sentinel, cluster
    var testDescription: String { rawValue }

    /// The kinds for tests that mostly wait for real time to pass (expiry, grace): every kind but `sentinel`, whose
    /// server is the same single redis-server that `redis` tests, only found through a sentinel.
    static let timed: [StoreKind] = [.memory, .redis, .cluster]
}

/// A store under test, with a way to let time pass (the test clock for memory, real sleeping for Redis).
struct StoreHarness: Sendable {
    let store: any SessionStore
    let kind: StoreKind
    let clock: ManualSessionClock?
    /// Keeps the Redis server processes alive for the test (every primary of a cluster).
    let servers: [RedisServerProcess]

    func advance(by duration: Duration) async throws {
        if let clock {
            clock.advance(by: duration)
        } else {
            try await Task.sleep(for: duration)
        }
    }
}


/// Short timings so that the Redis runs (real time) stay fast.
func testConfiguration() -> SessionConfiguration {
    var configuration = SessionConfiguration()
    configuration.expiry.idleTimeout = .milliseconds(1500)
    configuration.expiry.absoluteTimeout = .seconds(60)
    configuration.rotation.renewalGrace = .milliseconds(500)
    configuration.maximumSessionsPerUser = 5
    return configuration
}

func withStore(
    _ kind: StoreKind,
    configuration: SessionConfiguration = testConfiguration(),
    _ body: @Sendable (StoreHarness) async throws -> Void
) async throws {
    switch kind {
    case .memory:
        let clock = ManualSessionClock()
        let store = try MemorySessionStore(configuration: configuration, clock: clock)
        try await body(StoreHarness(store: store, kind: kind, clock: clock, servers: []))
    case .redis, .sentinel, .cluster:
        // A sentinel deployment is one primary without replicas watched by one sentinel: the store behaves the same
        // through a Sentinel-resolved client (failovers have tests of their own).
        try await RedisDeploymentPool.withDeployment(kind.deployment) { deployment in
            try await withRedisStore(url: deployment.url, servers: deployment.dataNodes, kind: kind, configuration: configuration, body)
        }
    }
}

extension StoreKind {
    fileprivate var deployment: RedisDeploymentPool.Kind {
        switch self {
        case .memory, .redis: .server
        case .sentinel: .sentinel
        case .cluster: .cluster
        }
    }
}

private func withRedisStore(
    url: String, servers: [RedisServerProcess], kind: StoreKind, configuration: SessionConfiguration,
    _ body: @Sendable (StoreHarness) async throws -> Void
) async throws {
    var clientConfiguration = try RedisClientConfiguration(url: url)
    clientConfiguration.pool.connections = .init(minimum: 2, maximum: 4)
    clientConfiguration.connection.timeouts.command = .seconds(1)
    let client = RedisClient(configuration: clientConfiguration, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    let runner = Task { try await client.run() }
    // The client is shut down and its runner awaited on every path, so that none of its commands lands after the
    // deployment was emptied for the next test.
    do {
        let store = try RedisSessionStore(redis: client, keyring: .ephemeral(), configuration: .init(sessions: configuration))
        try await body(StoreHarness(store: store, kind: kind, clock: nil, servers: servers))
    } catch {
        client.shutdown()
        _ = try? await runner.value
        throw error
    }
    client.shutdown()
    _ = try? await runner.value
}

/// A Codable attribute value used by the tests.
struct Cart: Codable, Equatable, Sendable {
    var items: [String]
}

extension StoreHarness {
    /// How many sessions, tombstones and indexes are stored (not yet expired): 0 means nothing was left behind.
    /// (The memory store keeps no index entries that outlive their sessions, so it counts entries only.)
    func storedKeyCount() async throws -> Int {
        if let memory = store as? MemorySessionStore { return memory.storedEntryCount }
        var count = 0
        for server in servers {
            let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
            defer { connection.close() }
            count += try await connection.send("DBSIZE").int ?? -1
        }
        return count
    }
}
