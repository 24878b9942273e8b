// RedisURLTests: parsing of redis:// and unix:// URLs, and clear errors for malformed ones.

import HiredisClient
import Testing

@Suite("Redis URL parsing")
struct RedisURLTests {
    @Test("well-formed URLs")
    func wellFormed() throws {
        let plain = try RedisURL.parse("redis://localhost")
        #expect(plain.endpoint == .tcp(host: "localhost", port: 6379))
        #expect(plain.authentication == nil && plain.database == 0)

        let full = try RedisURL.parse("redis://app:p%40ss%3Aword@10.0.0.5:6380/4")
        #expect(full.endpoint == .tcp(host: "10.0.0.5", port: 6380))
        #expect(full.authentication?.username == "app")
        #expect(full.authentication?.password == "p@ss:word")
        #expect(full.database == 4)

        let passwordOnly = try RedisURL.parse("redis://:secret@host:1")
        #expect(passwordOnly.authentication?.username == nil)
        #expect(passwordOnly.authentication?.password == "secret")

        let v6 = try RedisURL.parse("redis://[::1]:7000/0")
        #expect(v6.endpoint == .tcp(host: "::1", port: 7000))

        let tls = try RedisURL.parse("rediss://app:pw@redis.example:6380/1")
        #expect(tls.endpoint == .tcp(host: "redis.example", port: 6380))
        #expect(tls.tls == RedisTLSConfiguration())
        #expect(tls.tls?.insecureSkipVerification == false, "rediss:// verifies the server by default")
        #expect(tls.database == 1)
        #expect(try RedisURL.parse("redis://h").tls == nil)

        let socket = try RedisURL.parse("unix:///run/redis/redis.sock?db=2&password=pw")
        #expect(socket.endpoint == .unixSocket(path: "/run/redis/redis.sock"))
        #expect(socket.database == 2)
        #expect(socket.authentication?.password == "pw")
    }

    @Test("malformed URLs give invalidURL errors that say what is wrong", arguments: [
        ("localhost:6379", "missing scheme"),
        ("http://localhost", "unsupported scheme"),
        ("redis://", "missing host"),
        ("redis://:6379", "missing host"),
        ("redis://host:0", "port '0'"),
        ("redis://host:70000", "port '70000'"),
        ("redis://host:abc", "port 'abc'"),
        ("redis://host/x", "database number"),
        ("redis://host/-1", "database number"),
        ("redis://host/0:leaked-pass@other", "database number"),
        ("redis://[::1", "IPv6"),
        ("redis://ho st", "characters"),
        ("redis://user@host?x=1", "query"),
        ("redis://u:%zz@host", "percent-encoding"),
        ("unix://relative.sock", "absolute path"),
        ("unix:///tmp/r.sock?db=x", "database 'x'"),
        ("unix:///tmp/r.sock?color=red", "unknown query parameter"),
    ])
    func malformed(url: String, expected: String) {
        let error = #expect(throws: RedisError.self) { try RedisURL.parse(url) }
        #expect(error?.code == .invalidURL)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "") should mention \(expected)")
    }

    @Test("errors never echo the password")
    func redaction() {
        let error = #expect(throws: RedisError.self) { try RedisURL.parse("redis://user:topsecret@host:99999") }
        #expect(error?.message.contains("topsecret") == false)
        // A password after a slash (a mistyped URL) is not quoted by the reason either (found by fuzz-redis-url).
        let mistyped = #expect(throws: RedisError.self) { try RedisURL.parse("redis://host/0:topsecret@other") }
        #expect(mistyped?.message.contains("topsecret") == false, "\(mistyped?.message ?? "")")
        #expect(RedisURL.redactingPassword("redis://u:pw@h") == "redis://u:***@h")
    }
}

@Suite struct RedisClientConfigurationTests {
    @Test("the client's pool metrics are labelled redis_pool by default, and a caller's own labels are kept")
    func metricLabels() throws {
        #expect(try RedisClientConfiguration(url: "redis://h").pool.metrics.labelPrefix == "redis_pool")
        #expect(RedisClientConfiguration().pool.metrics.labelPrefix == "redis_pool")
        var pool = RedisClientConfiguration.defaultPool
        pool.metrics.labelPrefix = "sessions_redis"
        #expect(RedisClientConfiguration(pool: pool).pool.metrics.labelPrefix == "sessions_redis")
    }
}
