// SentinelClientTests: RedisClient over a redis-sentinel:// URL: it writes to the primary, follows a failover, waits out LOADING.

import EmbeddedRedis
import HiredisClient
import Logging
import Synchronization
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

    @Test("a primary reloading its data answers LOADING: the client waits it out and runs each command once; no LOADING reaches a caller",
          .timeLimit(.minutes(2)))
    func waitsOutLoading() async throws {
        // A long down-after: the reload's blocking save must not look like a dead primary to the sentinels.
        let deployment = try await RedisSentinelProcesses.start(downAfter: .seconds(10), extraArguments: ["--enable-debug-command", "yes"])
        let primary = deployment.dataNodes[0]
        let client = RedisClient(configuration: try RedisClientConfiguration(url: deployment.url), logger: Logger(label: "sentinel-test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            let admin = try await RedisConnection.connect(configuration: .init(url: primary.url))
            defer { admin.close() }
            // Enough data that loading it takes a while (each 2 MB loaded, the server answers waiting clients LOADING).
            _ = try await admin.send(RedisCommand("DEBUG", "POPULATE", 600_000, "filler", 64), timeout: .seconds(60))
            #expect(try await client.send("SET", "counter", 0) == .status("OK"))
            let reloaded = Flag()
            let probe = try await RedisConnection.connect(configuration: .init(url: primary.url))
            defer { probe.close() }
            let reload = Task {
                defer { reloaded.set() }  // also when it failed: `reload.value` below says why
                let connection = try await RedisConnection.connect(configuration: .init(url: primary.url))
                defer { connection.close() }
                _ = try await connection.send(RedisCommand("DEBUG", "RELOAD"), timeout: .seconds(60))
            }
            // A direct connection shows the primary loading (this test's point); the client must hide it.
            let watcher = Task {
                while !reloaded.isSet {
                    do {
                        _ = try await probe.send(RedisCommand("GET", "counter"), timeout: .seconds(5))
                    } catch let error as RedisError where error.serverError?.code == "LOADING" {
                        return true
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
                return false
            }
            var (acknowledged, failed) = (0, 0)
            while !reloaded.isSet || acknowledged == 0 {
                do {
                    _ = try await client.send("INCR", "counter")
                    acknowledged += 1
                } catch let error as RedisError {
                    #expect(error.serverError?.code != "LOADING", "\(error)")
                    failed += 1
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            let sawLoading = try await watcher.value
            try await reload.value
            let counter = try #require(try await client.send("GET", "counter").string.flatMap { Int($0) })
            print("LOADING: \(acknowledged) INCRs acknowledged, \(failed) failed, counter \(counter), loading seen: \(sawLoading)")
            #expect(sawLoading, "the primary answered LOADING while it reloaded")
            // Every acknowledged INCR ran once; a failed one (its deadline passed) may or may not have.
            #expect(counter >= acknowledged && counter <= acknowledged + failed)
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

/// A flag set once, read from other tasks.
private final class Flag: Sendable {
    private let value = Mutex(false)

    var isSet: Bool { value.withLock { $0 } }

    func set() { value.withLock { $0 = true } }
}
