// RedisHashSlotTests: CRC16 hash slots and hash tags, against the specification's examples and a real cluster node.

import EmbeddedRedis
import HiredisClient
import Testing

@Suite("Redis Cluster hash slots")
struct RedisHashSlotTests {
    @Test("CRC16/XMODEM and the specification's hash-tag examples")
    func specificationExamples() {
        #expect(RedisHashSlot(key: "123456789").value == 0x31C3 & 16383)
        #expect(RedisHashSlot(key: "foo").value == 12182)
        #expect(RedisHashSlot(key: "bar").value == 5061)
        #expect(RedisHashSlot(key: "hello").value == 866)
        // The tag alone decides; the first `{` wins; an empty `{}` hashes the whole key.
        #expect(RedisHashSlot(key: "{user1000}.following") == RedisHashSlot(key: "{user1000}.followers"))
        #expect(RedisHashSlot(key: "{user1000}.following") == RedisHashSlot(key: "user1000"))
        #expect(RedisHashSlot(key: "foo{bar}{zap}") == RedisHashSlot(key: "bar"))
        #expect(RedisHashSlot(key: "foo{{bar}}zap") == RedisHashSlot(key: "{bar"))
        #expect(RedisHashSlot(key: "foo{}{bar}") != RedisHashSlot(key: "bar"))
        #expect(RedisHashSlot(key: "") == RedisHashSlot(0))
        #expect(RedisHashSlot(16384) == nil && RedisHashSlot(-1) == nil && RedisHashSlot(16383)?.value == 16383)
    }

    @Test("agrees with CLUSTER KEYSLOT on a real cluster-enabled node")
    func agreesWithRedis() async throws {
        let server = try await RedisServerProcess.start(extraArguments: ["--cluster-enabled", "yes"])
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        var generator = SystemRandomNumberGenerator()
        var keys = ["", "{", "}", "{}", "{}{a}", "a{b", "a}b{c}", "sess:{r7HeGQF7}:0GoTm", "é{ü}", "{{}}"]
        for _ in 0..<200 {
            let length = Int.random(in: 0...12, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            keys.append(String(decoding: bytes.map { $0 % 4 == 0 ? UInt8(ascii: "{") : $0 % 7 == 0 ? UInt8(ascii: "}") : $0 % 95 + 32 }, as: UTF8.self))
        }
        for key in keys {
            let expected = try await connection.send("CLUSTER", "KEYSLOT", key).int
            #expect(RedisHashSlot(key: key).value == expected, "key \(key)")
        }
    }
}
