// RedisConnectionTests: one connection against a real redis-server: replies, pipelining, deadlines, failures.

import ConnectionPool
import Foundation
import HiredisClient
import EmbeddedRedis
import Synchronization
import Testing

@Suite("RedisConnection against a real redis-server")
struct RedisConnectionTests {
    @Test("every RESP2 reply type converts to its RedisReply case")
    func replyTypes() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }

        #expect(try await connection.send("PING") == .status("PONG"))
        #expect(try await connection.send("SET", "k", "v") == .status("OK"))
        #expect(try await connection.send("GET", "k") == .bulk(Array("v".utf8)))
        #expect(try await connection.send("GET", "missing") == .null)
        #expect(try await connection.send("INCRBY", "n", 41) == .integer(41))
        let binary: [UInt8] = [0, 13, 10, 255, 36, 42]
        try await connection.send("SET", "bin", binary)
        #expect(try await connection.send("GET", "bin").bytes == binary)
        try await connection.send("RPUSH", "list", "a", "b")
        #expect(try await connection.send("LRANGE", "list", 0, -1) == .array([.bulk([97]), .bulk([98])]))
        let nested = try await connection.send("EVAL", "return {1, 'x', {2}, false}", 0)
        #expect(nested == .array([.integer(1), .bulk([120]), .array([.integer(2)]), .null]))
        #expect(try await connection.send("GET", "missing").decode(as: String?.self) == nil)
        #expect(try await connection.send("LRANGE", "list", 0, -1).decode(as: [String].self) == ["a", "b"])

        // An error reply is a typed error and does not retire the connection.
        let error = await #expect(throws: RedisError.self) { try await connection.send("INCR", "list") }
        #expect(error?.code == .server)
        #expect(error?.serverError?.code == "WRONGTYPE")
        let replies = try await connection.pipeline([RedisCommand("INCR", "list"), RedisCommand("PING")])
        #expect(replies.count == 2)
        if case .error(let serverError) = replies[0] { #expect(serverError.code == "WRONGTYPE") } else { Issue.record("expected an error reply") }
        #expect(replies[1] == .status("PONG"))
        #expect(!connection.isClosed)
    }

    @Test("10k concurrent commands on one connection each get their own reply")
    func concurrentCommandsGetTheirOwnReplies() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<10_000 {
                group.addTask {
                    let reply = try await connection.send("ECHO", "value-\(index)")
                    #expect(reply.string == "value-\(index)")
                }
            }
            try await group.waitForAll()
        }
        let calls = try await connection.send("INFO", "commandstats").string ?? ""
        #expect(calls.contains("cmdstat_echo:calls=10000,"))
    }

    @Test("a transaction runs in one round trip and reports EXECABORT as an error")
    func transactions() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        let results = try await connection.transaction([RedisCommand("INCR", "a"), RedisCommand("INCR", "a")])
        #expect(results == [.integer(1), .integer(2)])
        let error = await #expect(throws: RedisError.self) {
            try await connection.transaction([RedisCommand("INCR", "a"), RedisCommand("NOSUCHCOMMAND")])
        }
        #expect(error?.code == .server)
    }

    @Test("a script falls back to EVAL after SCRIPT FLUSH")
    func scriptFallsBackOnNoScript() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        #expect(try await connection.run(script, keys: ["c"], arguments: [2]) == .integer(2))
        #expect(try await connection.send("SCRIPT", "EXISTS", script.sha1).decode(as: [Int].self) == [1])
        try await connection.send("SCRIPT", "FLUSH")
        #expect(try await connection.send("SCRIPT", "EXISTS", script.sha1).decode(as: [Int].self) == [0])
        #expect(try await connection.run(script, keys: ["c"], arguments: [3]) == .integer(5))
        let stats = try await connection.send("INFO", "commandstats").string ?? ""
        #expect(stats.contains("cmdstat_eval:calls=2"))
        #expect(stats.contains("cmdstat_evalsha:calls=2"))
    }

    @Test("a missed deadline fails only its own command: the late reply is absorbed, the connection stays")
    func commandDeadline() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        let blocker = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { blocker.close() }
        try await connection.send("SET", "k", "v")
        async let sleeping = blocker.send(RedisCommand("DEBUG", "SLEEP", "0.6"), timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(100))
        let start = ContinuousClock.now
        async let patient = connection.send(RedisCommand("GET", "k"), timeout: .seconds(5))
        let error = await #expect(throws: RedisError.self) {
            try await connection.send(RedisCommand("INCR", "n"), timeout: .milliseconds(200))
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .commandTimeout)
        #expect(elapsed >= .milliseconds(190) && elapsed < .milliseconds(450))
        #expect(!connection.isClosed, "one slow reply does not retire the connection")
        #expect(try await patient == .bulk(Array("v".utf8)), "a neighbour with a longer deadline gets its own reply")
        _ = try await sleeping
        // The late INCR reply (1) was absorbed by its placeholder, not handed to the next caller.
        #expect(try await connection.send("GET", "k") == .bulk(Array("v".utf8)))
        #expect(try await connection.send("GET", "n") == .bulk(Array("1".utf8)))
    }

    @Test("when a connection dies, its close handlers (the pool) run before any caller learns of it")
    func closeHandlersRunBeforeCallersFail() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        let closed = Outcomes()
        connection.onClose { _ in closed.stop.store(true, ordering: .sequentiallyConsistent) }
        async let pending = connection.send(RedisCommand("DEBUG", "SLEEP", "2"), timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(100))
        await server.kill()
        do {
            _ = try await pending
            Issue.record("the command cannot succeed on a killed server")
        } catch let error as RedisError {
            #expect(error.retiredConnection)
            let poolKnew = closed.stop.load(ordering: .sequentiallyConsistent)
            #expect(poolKnew, "the close handler ran before this caller was failed")
        }
    }

    @Test("a connection that stays unanswered past retireAfter is retired as stuck")
    func stuckConnectionIsRetired() async throws {
        let server = try await RedisServerProcess.start()
        var configuration = try RedisConnectionConfiguration(url: server.url)
        configuration.timeouts.retireAfter = .milliseconds(300)
        let connection = try await RedisConnection.connect(configuration: configuration)
        let closed = Outcomes()
        connection.onClose { error in closed.closeError.withLock(annotatedBy: closed) { $0 = .some(error as? RedisError) } }
        let blocker = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { blocker.close() }
        async let sleeping = blocker.send(RedisCommand("DEBUG", "SLEEP", "1"), timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(100))
        let error = await #expect(throws: RedisError.self) {
            try await connection.send(RedisCommand("PING"), timeout: .milliseconds(100))
        }
        #expect(error?.code == .commandTimeout)
        try await Task.sleep(for: .milliseconds(500))
        #expect(connection.isClosed)
        #expect(closed.closeError.withLock(annotatedBy: closed) { $0 }??.code == .commandTimeout)
        let after = await #expect(throws: RedisError.self) { try await connection.send("PING") }
        #expect(after?.code == .connectionClosed)
        _ = try await sleeping
    }

    @Test("a command cancelled after it was written fails at once; its reply is absorbed")
    func cancellationAfterWrite() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        let blocker = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { blocker.close() }
        async let sleeping = blocker.send(RedisCommand("DEBUG", "SLEEP", "2"), timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(100))
        let written = Task { try await connection.send(RedisCommand("INCR", "n"), timeout: .seconds(5)) }
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        written.cancel()
        await #expect(throws: CancellationError.self) { try await written.value }
        #expect(ContinuousClock.now - start < .seconds(1), "the caller does not wait for the reply (2 s away)")
        _ = try await sleeping
        #expect(try await connection.send("GET", "n") == .bulk(Array("1".utf8)))
    }

    @Test("a killed server fails every command with a typed error and nothing hangs")
    func serverKilledMidLoad() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        let outcomes = Outcomes()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<64 {
                group.addTask {
                    for _ in 0..<10_000 {
                        do {
                            _ = try await connection.send("SET", "key\(index)", "value")
                            outcomes.counts.withLock(annotatedBy: outcomes) { $0.ok += 1 }
                        } catch let error as RedisError where error.retiredConnection {
                            outcomes.counts.withLock(annotatedBy: outcomes) { $0.retired += 1 }
                            return
                        } catch {
                            outcomes.counts.withLock(annotatedBy: outcomes) { $0.other += 1 }
                            return
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            await server.kill()
            try await group.waitForAll()
        }
        let result = outcomes.counts.withLock(annotatedBy: outcomes) { $0 }
        #expect(result.ok > 0)
        #expect(result.retired == 64)
        #expect(result.other == 0)
        #expect(connection.isClosed)
        try await server.restart()
        let fresh = try await RedisConnection.connect(configuration: .init(url: server.url))
        #expect(try await fresh.send("PING") == .status("PONG"))
        fresh.close()
    }

    @Test("connections run on event loops: opening 32 of them starts no thread")
    func noThreadPerConnection() async throws {
        let server = try await RedisServerProcess.start()
        let first = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { first.close() }
        #expect(try await first.send("PING") == .status("PONG"))
        let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        var connections: [RedisConnection] = []
        for _ in 0..<32 { connections.append(try await RedisConnection.connect(configuration: .init(url: server.url))) }
        for connection in connections { #expect(try await connection.send("PING") == .status("PONG")) }
        let after = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        // The test runner's own pools may start a thread meanwhile; a thread per connection would add 32.
        #expect(after - before <= 2, "\(after - before) threads appeared for 32 connections")
        for connection in connections { connection.close() }
    }

    @Test("RedisServerProcess.stop() shuts the server down with SIGTERM, not by the SIGKILL fallback")
    func serverProcessStopsGracefully() async throws {
        let server = try await RedisServerProcess.start()
        let start = ContinuousClock.now
        await server.stop()
        #expect(ContinuousClock.now - start < .seconds(2))
        let log = (try? String(contentsOfFile: server.logPath, encoding: .utf8)) ?? ""
        #expect(log.contains("ready to exit"), "redis-server logs its SIGTERM shutdown")
    }

    @Test("a command still queued (the server is not reading) is never sent when its task is cancelled")
    func cancellationOfQueuedCommand() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        server.freeze()
        // Fill the socket buffers so that later commands stay queued inside the client.
        let big = [UInt8](repeating: 120, count: 4 << 20)
        let filler = Task { try await connection.send(RedisCommand("SET", "big", big), timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        let queued = Task { try await connection.send(RedisCommand("INCR", "cancelled"), timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
        queued.cancel()
        await #expect(throws: CancellationError.self) { try await queued.value }
        server.thaw()
        _ = try await filler.value
        #expect(try await connection.send("GET", "cancelled") == .null)
        // An already-cancelled task never sends its command.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await connection.send("INCR", "cancelled")
        }
        await #expect(throws: CancellationError.self) { try await early.value }
        #expect(try await connection.send("GET", "cancelled") == .null)
    }

    @Test("graceful close lets commands in flight finish and refuses new ones")
    func gracefulClose() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        async let slow = connection.send(RedisCommand("DEBUG", "SLEEP", "0.2"), timeout: .seconds(2))
        try await Task.sleep(for: .milliseconds(50))
        connection.close()
        #expect(try await slow == .status("OK"))
        let error = await #expect(throws: RedisError.self) { try await connection.send("PING") }
        #expect(error?.code == .connectionClosed)
    }
}

/// Counters shared by the tasks of a test.
final class Outcomes: Sendable {
    let counts = Mutex<(ok: Int, retired: Int, other: Int)>((0, 0, 0))
    let closeError = Mutex<RedisError??>(nil)
    let stop = Atomic<Bool>(false)
}
