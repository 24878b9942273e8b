// RedisClientTests: the pooled client against real redis-server processes: recovery, exhaustion, shutdown.

import ConnectionPool
import Foundation
import HiredisClient
import Logging
import EmbeddedRedis
import Synchronization
import Testing

/// Runs `body` with a client whose pool runs in the background, then shuts it down and waits for `run()`.
func withRedisClient<Result: Sendable>(
    _ configuration: RedisClientConfiguration,
    _ body: @Sendable (RedisClient) async throws -> Result
) async throws -> Result {
    let client = RedisClient(configuration: configuration)
    let runner = Task { try await client.run() }
    do {
        let result = try await body(client)
        client.shutdown()
        try await runner.value
        return result
    } catch {
        client.shutdown()
        _ = try? await runner.value
        throw error
    }
}

@Suite("RedisClient (pooled) against a real redis-server")
struct RedisClientTests {
    @Test("a reply nested deeper than hiredis reads fails its command with a typed error; the client recovers")
    func tooDeeplyNestedReply() async throws {
        let server = try await RedisServerProcess.start()
        try await withRedisClient(try .init(url: server.url)) { redis in
            let eight = try await redis.send("EVAL", "return " + String(repeating: "{", count: 8) + "1" + String(repeating: "}", count: 8), 0)
            #expect(eight.array?.first?.array?.first != nil, "8 levels are read")
            let nine = await #expect(throws: RedisError.self) { try await redis.send("EVAL", "return " + String(repeating: "{", count: 9) + "1" + String(repeating: "}", count: 9), 0) }
            #expect(nine?.code == .protocolViolation, "\(String(describing: nine))")
            // The connection that got the unreadable reply is retired; the next command gets a fresh one.
            #expect(try await redis.send("PING") == .status("PONG"))
            #expect(try await redis.send("ECHO", "after") == .bulk(Array("after".utf8)))
        }
    }

    @Test("commands, pipelines, transactions and scripts go through the pool")
    func basics() async throws {
        let server = try await RedisServerProcess.start()
        try await withRedisClient(try .init(url: server.url)) { redis in
            try await redis.send("SET", "a", "1")
            #expect(try await redis.send("INCR", "a") == .integer(2))
            #expect(try await redis.pipeline([RedisCommand("GET", "a"), RedisCommand("PING")]) == [.bulk([50]), .status("PONG")])
            #expect(try await redis.transaction([RedisCommand("INCR", "a")]) == [.integer(3)])
            let script = RedisScript("return ARGV[1] .. KEYS[1]")
            #expect(try await redis.run(script, keys: ["k"], arguments: ["v"]).string == "vk")
            // WATCH needs an exclusive connection: a concurrent write aborts the transaction.
            let aborted = await #expect(throws: RedisError.self) {
                try await redis.withConnection { connection in
                    try await connection.send("WATCH", "a")
                    try await redis.send("SET", "a", "changed")
                    return try await connection.transaction([RedisCommand("SET", "a", "mine")])
                }
            }
            #expect(aborted?.code == .transactionAborted)
            #expect(try await redis.send("GET", "a").string == "changed")
        }
    }

    @Test("a stalled server fails commands at their deadline and the pool recovers")
    func deadlineAndRecovery() async throws {
        let server = try await RedisServerProcess.start()
        var configuration = try RedisClientConfiguration(url: server.url)
        configuration.connection.timeouts.command = .milliseconds(200)
        configuration.pool.connections.minimum = 2
        try await withRedisClient(configuration) { redis in
            try await redis.send("SET", "k", "v")
            let admin = try await RedisConnection.connect(configuration: .init(url: server.url))
            defer { admin.close() }
            try await admin.send("CLIENT", "PAUSE", 600, "ALL")
            let start = ContinuousClock.now
            let errors = try await withThrowingTaskGroup(of: RedisError?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await redis.send("GET", "k")
                            return nil
                        } catch let error as RedisError {
                            return error
                        }
                    }
                }
                return try await group.reduce(into: [RedisError]()) { if let error = $1 { $0.append(error) } }
            }
            let elapsed = ContinuousClock.now - start
            #expect(errors.count == 20)
            #expect(errors.allSatisfy { $0.code == .commandTimeout })
            #expect(elapsed < .milliseconds(550))
            try await Task.sleep(for: .milliseconds(500))  // the pause ends
            var recovered = false
            for _ in 0..<50 where !recovered {
                recovered = (try? await redis.send("GET", "k").string) == "v"
                if !recovered { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(recovered)
        }
    }

    @Test("redis killed under load: typed errors, no hang, recovery after restart")
    func killedUnderLoad() async throws {
        let server = try await RedisServerProcess.start()
        var configuration = try RedisClientConfiguration(url: server.url)
        configuration.connection.timeouts.command = .milliseconds(500)
        configuration.pool.timeouts.leaseTimeout = .milliseconds(300)
        configuration.pool.connections.minimum = 4
        try await withRedisClient(configuration) { redis in
            let counts = Outcomes()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        var iteration = 0
                        while !counts.stop.load(ordering: .relaxed) {
                            do {
                                _ = try await redis.send("SET", "key:\(index)", iteration)
                                counts.counts.withLock(annotatedBy: counts) { $0.ok += 1 }
                            } catch is RedisError, is ConnectionPoolError {
                                counts.counts.withLock(annotatedBy: counts) { $0.retired += 1 }
                                try await Task.sleep(for: .milliseconds(5))
                            } catch {
                                counts.counts.withLock(annotatedBy: counts) { $0.other += 1 }
                            }
                            iteration += 1
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                await server.kill()
                // Every worker fails with a typed error soon (how soon depends on how loaded the machine is).
                var duringOutage = counts.counts.withLock(annotatedBy: counts) { $0 }
                for _ in 0..<60 where duringOutage.retired == 0 {
                    try await Task.sleep(for: .milliseconds(50))
                    duringOutage = counts.counts.withLock(annotatedBy: counts) { $0 }
                }
                try await server.restart()
                try await Task.sleep(for: .milliseconds(1500))
                counts.stop.store(true, ordering: .relaxed)
                try await group.waitForAll()
                let final = counts.counts.withLock(annotatedBy: counts) { $0 }
                #expect(duringOutage.retired > 0)
                #expect(final.ok > duringOutage.ok, "commands succeed again after the restart")
                #expect(final.other == 0)
            }
            #expect(try await redis.send("PING") == .status("PONG"))
        }
    }

    @Test("exclusive leases exhaust the pool; a waiter gets a clear error at its deadline")
    func exhaustion() async throws {
        let server = try await RedisServerProcess.start()
        var configuration = try RedisClientConfiguration(url: server.url)
        configuration.pool.connections = .init(minimum: 1, maximum: 2)
        configuration.pool.timeouts.leaseTimeout = .milliseconds(200)
        try await withRedisClient(configuration) { redis in
            let held = try await HeldConnections(redis, count: 2)
            defer { held.release() }
            let start = ContinuousClock.now
            let error = await #expect(throws: ConnectionPoolError.self) {
                try await redis.withConnection { try await $0.send("PING") }
            }
            #expect(ContinuousClock.now - start >= .milliseconds(190))
            #expect("\(error.map { "\($0)" } ?? "")".contains("no connection within"))
            await held.releaseAndWait()
            #expect(try await redis.withConnection { try await $0.send("PING") } == .status("PONG"))
        }
    }

    @Test("graceful shutdown lets commands in flight finish, refuses new ones, closes connections")
    func gracefulShutdown() async throws {
        let server = try await RedisServerProcess.start()
        let redis = RedisClient(configuration: try .init(url: server.url))
        let runner = Task { try await redis.run() }
        try await redis.send("PING")
        async let slow = redis.send(RedisCommand("DEBUG", "SLEEP", "0.3"), timeout: .seconds(2))
        try await Task.sleep(for: .milliseconds(50))
        redis.shutdown()
        #expect(try await slow == .status("OK"))
        try await runner.value
        await #expect(throws: ConnectionPoolError.self) { try await redis.send("PING") }
        let admin = try await RedisConnection.connect(configuration: .init(url: server.url))
        let clients = try await admin.send("CLIENT", "LIST").string ?? ""
        #expect(clients.split(separator: "\n").count == 1, "only the admin connection is left")
        admin.close()
    }

    @Test("a cancelled task waiting for a lease leaves the queue at once")
    func cancelWaitingLease() async throws {
        let server = try await RedisServerProcess.start()
        var configuration = try RedisClientConfiguration(url: server.url)
        configuration.pool.connections = .init(minimum: 1, maximum: 1)
        configuration.pool.timeouts.leaseTimeout = .seconds(10)
        try await withRedisClient(configuration) { redis in
            let held = try await HeldConnections(redis, count: 1)
            defer { held.release() }
            let waiter = Task { try await redis.withConnection { try await $0.send("PING") } }
            try await Task.sleep(for: .milliseconds(50))
            let start = ContinuousClock.now
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            // "At once" rather than at the 10 s lease deadline; generous for a loaded machine.
            #expect(ContinuousClock.now - start < .seconds(1))
            await held.releaseAndWait()
        }
    }
}

/// Exclusive leases held by tasks until released, so that other requests must wait.
///
/// The holders may wait long for their connections (connections beyond the first are opened on demand, which is
/// slow on a loaded machine), so they ask with a 30 s timeout whatever the pool's lease timeout; each reports how it
/// got on, so a failed holder fails the test instead of leaving it waiting forever.
struct HeldConnections {
    private let holders: [Task<Void, Never>]
    private let releaseContinuation: AsyncStream<Void>.Continuation

    /// Returns once `count` connections are held, each after a PING on it.
    /// - Throws: the first holder's failure.
    init(_ redis: RedisClient, count: Int) async throws {
        let (holding, holdingContinuation) = AsyncStream<Result<Void, any Error>>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        self.releaseContinuation = releaseContinuation
        holders = (0..<count).map { _ in
            Task {
                do {
                    try await redis.withConnection(timeout: .seconds(30)) { connection in
                        try await connection.send("PING")
                        holdingContinuation.yield(.success(()))
                        for await _ in release { break }
                    }
                } catch {
                    holdingContinuation.yield(.failure(error))
                }
            }
        }
        var held = 0
        for await outcome in holding {
            do {
                try outcome.get()
            } catch {
                releaseContinuation.finish()
                throw error
            }
            held += 1
            if held == count { break }
        }
    }

    /// Lets the holders return their connections (a no-op when already released).
    func release() { releaseContinuation.finish() }

    /// Lets the holders return their connections and waits until they have.
    func releaseAndWait() async {
        releaseContinuation.finish()
        for holder in holders { await holder.value }
    }
}
