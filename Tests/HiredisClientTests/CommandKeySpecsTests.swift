// CommandKeySpecsTests: a command's keys found from the server's COMMAND reply agree with COMMAND GETKEYS.

import EmbeddedRedis
@testable import HiredisClient
import Testing

@Suite("Cluster routing: the keys of a command")
struct CommandKeySpecsTests {
    /// A server (kept alive by the caller), a connection to it, and the key specs its COMMAND reply gives.
    private func serverSpecs() async throws -> (RedisServerProcess, RedisConnection, CommandKeySpecs) {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        return (server, connection, try #require(CommandKeySpecs(command: try await connection.send("COMMAND"))))
    }

    @Test("the keys found locally are the ones COMMAND GETKEYS names, for simple, multi-key, subcommand and script commands")
    func agreesWithRedis() async throws {
        let (server, connection, specs) = try await serverSpecs()
        defer { withExtendedLifetime(server) { connection.close() } }
        let commands: [RedisCommand] = [
            RedisCommand("GET", "k"), RedisCommand("set", "k", "v", "PX", 100), RedisCommand("HGETALL", "sess:{t}:id"),
            RedisCommand("DEL", "a", "b", "c"), RedisCommand("MSET", "a", "1", "b", "2"), RedisCommand("RENAME", "a", "b"),
            RedisCommand("ZREM", "idx", "m1", "m2"), RedisCommand("PEXPIRE", "k", 100), RedisCommand("OBJECT", "ENCODING", "k"),
            RedisCommand("EVALSHA", String(repeating: "a", count: 40), 2, "{x}1", "{x}2", "arg"),
            RedisCommand("EVAL", "return 1", 1, "k", "arg"), RedisCommand("HSET", "h", "f", "v", "g", "w"),
            RedisCommand("BLMOVE", "src", "dst", "LEFT", "RIGHT", 0), RedisCommand("MGET", "a", "b"),
        ]
        for command in commands {
            let expected = try await connection.send(RedisCommand("COMMAND", arguments: [String("GETKEYS")] + command.encodedArguments.map { Array($0) }))
            let keys = expected.array?.compactMap(\.bytes) ?? []
            #expect(specs.keys(of: command) == .keys(keys.map { $0[...] }), "\(command.name)")
        }
        #expect(specs.keys(of: RedisCommand("PING")) == .keyless)
        #expect(specs.keys(of: RedisCommand("SCRIPT", "LOAD", "return 1")) == .keyless)
        #expect(specs.keys(of: RedisCommand("EVAL", "return 1", 0)) == .keyless)
        #expect(specs.keys(of: RedisCommand("ZUNIONSTORE", "d", 2, "a", "b")) == .unknown, "movable keys other than scripts: ask the server")
        #expect(specs.keys(of: RedisCommand("NOSUCHCOMMAND", "k")) == .unknown)
    }

    @Test("a command's slot: one for keys sharing a hash tag, a typed refusal across slots")
    func slots() async throws {
        let (server, connection, specs) = try await serverSpecs()
        defer { withExtendedLifetime(server) { connection.close() } }
        #expect(try specs.slot(of: RedisCommand("MGET", "{u}a", "{u}b")) == RedisHashSlot(key: "u"))
        #expect(try specs.slot(of: RedisCommand("PING")) == nil)
        let crossing = #expect(throws: RedisError.self) { try specs.slot(of: RedisCommand("MGET", "a", "b")) }
        #expect(crossing?.code == .notAllowedHere && crossing?.message.contains("hash tag") == true)
        #expect(throws: RedisError.self) { try specs.slot(of: RedisCommand("ZUNIONSTORE", "d", 2, "a", "b")) }
    }

    @Test("arguments read back out of the encoding, binary and empty ones included")
    func arguments() {
        let command = RedisCommand("SET", [UInt8]([0, 13, 10, 255]), "")
        #expect(command.encodedArguments.map { Array($0) } == [Array("SET".utf8), [0, 13, 10, 255], []])
    }
}
