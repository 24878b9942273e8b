// StoreTarget: the store a bench run uses (memory, given Redis, or embedded Redis) and its memory accounting.

import ArgumentParser
import HiredisClient
import Logging
import RedisSessionStore
import EmbeddedRedis
import SessionStore

/// The store under test and what must be stopped afterwards.
struct StoreTarget: Sendable {
    let store: any SessionStore
    let client: RedisClient?
    let pool: Task<Void, any Error>?
    let embedded: RedisServerProcess?
    let memoryBefore: Int?

    static func open(
        memory: Bool, options: BenchOptions, configuration: SessionConfiguration, durableRevocation: Bool = false, quiet: Bool
    ) async throws -> StoreTarget {
        if memory {
            return StoreTarget(store: try MemorySessionStore(configuration: configuration), client: nil, pool: nil, embedded: nil, memoryBefore: nil)
        }
        let embedded = try await EmbeddedRedis.startIfNeeded(url: options.redis, quiet: quiet)
        let clientConfiguration = try options.clientConfiguration(url: options.redis ?? embedded!.url)
        let client = RedisClient(configuration: clientConfiguration, logger: Logger(label: "session-bench"))
        let pool = Task { try await client.run() }
        // The checks deliberately use rotated-away tokens: keep the store's theft warnings out of the report.
        var storeLogger = Logger(label: "session-bench.store")
        storeLogger.logLevel = .error
        let store = try RedisSessionStore(redis: client, keyring: .ephemeral(), configuration: .init(
            sessions: configuration, keyPrefix: "bench", durableRevocation: durableRevocation ? .init() : nil),
                                          logger: storeLogger)
        let before = try await usedMemory(client)
        return StoreTarget(store: store, client: client, pool: pool, embedded: embedded, memoryBefore: before)
    }

    /// Redis memory added per session since the store was opened (`INFO memory` used_memory), or `nil` in memory.
    func bytesPerSession(count: Int) async throws -> Int? {
        guard let client, let memoryBefore else { return nil }
        return (try await Self.usedMemory(client) - memoryBefore) / count
    }

    static func usedMemory(_ client: RedisClient) async throws -> Int {
        // A cluster's sessions are spread over its primaries: add them up.
        if let nodes = try await client.clusterPrimaries() {
            var total = 0
            for node in nodes.values { total += try await usedMemory(node) }
            return total
        }
        let info = try await client.send("INFO", "memory").string ?? ""
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("used_memory:") } ?? ""
        return Int(line.dropFirst("used_memory:".count)) ?? 0
    }

    func close() async throws {
        client?.shutdown()
        _ = try await pool?.value
        await embedded?.stop()
    }
}
