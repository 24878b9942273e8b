// RedisCommandTests: commands encoded by hiredis, byte for byte, and the shared path's refusals by name and argument.

@testable import HiredisClient
import Testing

@Suite struct RedisCommandTests {
    @Test func encodesEveryArgumentKindAsRESPBulks() {
        let command = RedisCommand("SET", "k", [UInt8]([0, 13, 10]), 0, -5, Int.max, Int64.min, 1.5)
        let expected = "*8\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\u{0}\r\n\r\n$1\r\n0\r\n$2\r\n-5\r\n"
            + "$19\r\n9223372036854775807\r\n$20\r\n-9223372036854775808\r\n$3\r\n1.5\r\n"
        #expect(command.encoded == Array(expected.utf8))
        #expect(RedisCommand("PING").encoded == Array("*1\r\n$4\r\nPING\r\n".utf8))
        #expect(RedisCommand("").encoded == Array("*1\r\n$0\r\n\r\n".utf8))
    }

    @Test func refusalsLookAtNamesInAnyCaseAndAtArguments() {
        #expect(RedisCommand("get", "k").refusalOnSharedConnection == nil)
        #expect(RedisCommand("EVALSHA", "x", 0).refusalOnSharedConnection == nil)
        #expect(RedisCommand("subscribe", "c").refusalOnSharedConnection != nil)
        #expect(RedisCommand("Client", "Reply", "OFF").refusalOnSharedConnection != nil)
        #expect(RedisCommand("CLIENT", "KILL", "TYPE", "normal").refusalOnSharedConnection == nil)
        #expect(RedisCommand("XREADGROUP", "GROUP", "g", "c", "BLOCK", 0).refusalOnSharedConnection != nil)
        #expect(RedisCommand("XREAD", "COUNT", 1).refusalOnSharedConnection == nil)
        #expect([RedisCommand("MULTI"), RedisCommand("INCR", "a"), RedisCommand("EXEC")].refusalOnSharedConnection == nil)
        #expect([RedisCommand("EXEC")].refusalOnSharedConnection != nil)
    }
}
