// ConnectionHygieneTests: shared connections refuse state-changing commands; exclusive leases come back clean.

import ConnectionPool
import HiredisClient
import EmbeddedRedis
import Testing

@Suite("Connection rules against a real redis-server")
struct ConnectionHygieneTests {
    /// One connection, so that whatever an exclusive lease leaves behind would reach the next user.
    private func oneConnection(_ url: String) throws -> RedisClientConfiguration {
        var configuration = try RedisClientConfiguration(url: url)
        configuration.pool.connections = .init(minimum: 1, maximum: 1)
        return configuration
    }

    @Test("the shared path refuses commands that break one-reply-per-command, before anything is sent", arguments: [
        RedisCommand("SUBSCRIBE", "news"), RedisCommand("psubscribe", "n*"), RedisCommand("MONITOR"),
        RedisCommand("SELECT", 1), RedisCommand("WATCH", "k"), RedisCommand("MULTI"), RedisCommand("EXEC"),
        RedisCommand("CLIENT", "REPLY", "OFF"), RedisCommand("client", "reply", "skip"), RedisCommand("HELLO", 3),
        RedisCommand("BLPOP", "q", 0), RedisCommand("WAIT", 1, 0), RedisCommand("XREAD", "block", 0, "STREAMS", "s", "$"),
        RedisCommand("QUIT"), RedisCommand("RESET"), RedisCommand("AUTH", "pw"),
    ])
    func sharedPathRefuses(command: RedisCommand) async throws {
        let server = try await RedisServerProcess.start()
        try await withRedisClient(try oneConnection(server.url)) { (redis: RedisClient) async throws in
            let error = await #expect(throws: RedisError.self) { try await redis.send(command) }
            #expect(error?.code == .notAllowedHere)
            let piped = await #expect(throws: RedisError.self) { try await redis.pipeline([RedisCommand("PING"), command]) }
            #expect(piped?.code == .notAllowedHere)
            // Nothing reached the server, and the connection still answers one reply per command.
            #expect(try await redis.send("SET", "after", "ok") == .status("OK"))
            #expect(try await redis.send("GET", "after") == .bulk(Array("ok".utf8)))
        }
    }

    @Test("the shared path still runs ordinary commands and contiguous MULTI … EXEC")
    func sharedPathAllows() async throws {
        let server = try await RedisServerProcess.start()
        try await withRedisClient(try oneConnection(server.url)) { (redis: RedisClient) async throws in
            #expect(try await redis.send("CLIENT", "GETNAME") == .null)
            #expect(try await redis.send("XREAD", "COUNT", 1, "STREAMS", "s", "0") == .null)
            #expect(try await redis.transaction([RedisCommand("INCR", "n")]) == [.integer(1)])
            let unbalanced = await #expect(throws: RedisError.self) {
                try await redis.pipeline([RedisCommand("MULTI"), RedisCommand("INCR", "n")])
            }
            #expect(unbalanced?.code == .notAllowedHere)
        }
    }

    @Test("an exclusive lease is reset on release: WATCH, an open MULTI, SELECT and CLIENT REPLY OFF stay behind")
    func exclusiveLeaseIsReset() async throws {
        let server = try await RedisServerProcess.start()
        var configuration = try oneConnection(server.url)
        configuration.connection.clientName = "hygiene"
        try await withRedisClient(configuration) { (redis: RedisClient) async throws in
            try await redis.send("SET", "k", "db0")
            try await redis.withConnection { connection in
                try await connection.send("SELECT", 3)
                try await connection.send("SET", "k", "db3")
                try await connection.send("WATCH", "k")
                try await connection.send("MULTI")
                #expect(try await connection.send("SET", "lost?", "1") == .status("QUEUED"))
            }
            // The same (only) connection, shared now: no QUEUED, database 0, its name kept.
            #expect(try await redis.send("SET", "x", "1") == .status("OK"))
            #expect(try await redis.send("GET", "k") == .bulk(Array("db0".utf8)))
            #expect(try await redis.send("CLIENT", "GETNAME") == .bulk(Array("hygiene".utf8)))
            #expect(try await redis.send("EXISTS", "lost?") == .integer(0))

            try await redis.withConnection { connection in
                // After CLIENT REPLY OFF the server sends nothing back; the reset's RESET turns replies on again.
                _ = try? await connection.send(RedisCommand("CLIENT", "REPLY", "OFF"), timeout: .milliseconds(100))
            }
            #expect(try await redis.send("ECHO", "hello") == .bulk(Array("hello".utf8)))
        }
    }
}
