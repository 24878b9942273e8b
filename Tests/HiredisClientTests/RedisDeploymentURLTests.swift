// RedisDeploymentURLTests: redis-sentinel:// and redis-cluster:// URLs, and plain URLs through parseDeployment.

import HiredisClient
import Testing

@Suite("Deployment URLs")
struct RedisDeploymentURLTests {
    @Test("a sentinel URL names the sentinels, the primary, the nodes' and the sentinels' credentials")
    func sentinel() throws {
        guard case .sentinel(let plain) = try RedisURL.parseDeployment("redis-sentinel://s1,s2:26380/mymaster") else {
            Issue.record("not a sentinel deployment")
            return
        }
        #expect(plain.sentinels == [.tcp(host: "s1", port: 26379), .tcp(host: "s2", port: 26380)])
        #expect(plain.primaryName == "mymaster")
        #expect(plain.node.authentication == nil && plain.sentinelAuthentication == nil && plain.node.tls == nil)

        let url = "rediss-sentinel://app:p%40ss@[::1]:5000,s2/my%2Dprimary?db=3&sentinel_user=watch&sentinel_password=s3cret"
        guard case .sentinel(let full) = try RedisURL.parseDeployment(url) else {
            Issue.record("not a sentinel deployment")
            return
        }
        #expect(full.sentinels == [.tcp(host: "::1", port: 5000), .tcp(host: "s2", port: 26379)])
        #expect(full.primaryName == "my-primary")
        #expect(full.node.authentication?.username == "app" && full.node.authentication?.password == "p@ss")
        #expect(full.node.database == 3)
        #expect(full.node.tls != nil)
        #expect(full.sentinelAuthentication?.username == "watch" && full.sentinelAuthentication?.password == "s3cret")
        // A sentinel gets its own credentials and no database; the data nodes' password never goes to it.
        let toSentinel = full.sentinelConnection(.tcp(host: "s2", port: 26379))
        #expect(toSentinel.authentication?.password == "s3cret" && toSentinel.database == 0 && toSentinel.tls != nil)
    }

    @Test("a cluster URL names its seeds and the nodes' credentials")
    func cluster() throws {
        guard case .cluster(let cluster) = try RedisURL.parseDeployment("redis-cluster://:secret@n1:7000,n2:7001,n1:7000,n3") else {
            Issue.record("not a cluster deployment")
            return
        }
        #expect(cluster.seeds == [.tcp(host: "n1", port: 7000), .tcp(host: "n2", port: 7001), .tcp(host: "n3", port: 6379)])
        #expect(cluster.node.authentication?.password == "secret" && cluster.node.tls == nil)
        #expect(cluster.nodeConnection(.tcp(host: "n9", port: 7009)).endpoint == .tcp(host: "n9", port: 7009))
        guard case .cluster(let tls) = try RedisURL.parseDeployment("rediss-cluster://n1:7000") else {
            Issue.record("not a cluster deployment")
            return
        }
        #expect(tls.node.tls != nil)
    }

    @Test("one-server URLs are standalone deployments; deployment URLs are refused where one server is expected")
    func standalone() throws {
        guard case .standalone(let configuration) = try RedisURL.parseDeployment("redis://h:7000/2") else {
            Issue.record("not standalone")
            return
        }
        #expect(configuration.endpoint == .tcp(host: "h", port: 7000) && configuration.database == 2)
        let error = #expect(throws: RedisError.self) { try RedisURL.parse("redis-cluster://n1:7000") }
        #expect(error?.message.contains("parseDeployment") == true)
    }

    @Test("malformed deployment URLs say what is wrong, and never echo a password", arguments: [
        ("redis-sentinel://s1:26379", "primary's name"),
        ("redis-sentinel://s1:26379/", "primary's name"),
        ("redis-sentinel://s1/a/b", "primary's name"),
        ("redis-sentinel://s1/m?db=x", "db parameter"),
        ("redis-sentinel://s1/m?color=red", "unknown query parameter"),
        ("redis-sentinel://s1/m?sentinel_user=u", "without sentinel_password"),
        ("redis-sentinel://s1/m?db", "malformed query"),
        ("redis-sentinel://s1,,s2/m", "missing host"),
        ("redis-sentinel://u:topsecret@s1:0/m", "port '0'"),
        ("redis-cluster://n1:7000/0", "no path"),
        ("redis-cluster://n1:7000?x=1", "no query"),
        ("redis-cluster://", "missing host"),
        ("redis-cluster://n1#frag", "fragments"),
        ("redis-cluster://u:topsecret@n1:99999", "port '99999'"),
    ])
    func malformed(url: String, expected: String) {
        let error = #expect(throws: RedisError.self) { try RedisURL.parseDeployment(url) }
        #expect(error?.code == .invalidURL)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "") should mention \(expected)")
        #expect(error?.message.contains("topsecret") == false)
    }
}
