// TLSTests: rediss:// against a real redis-server with a TLS port: verification, mutual TLS, typed failures.

import EmbeddedRedis
import HiredisClient
import Testing

@Suite("TLS against a real redis-server")
struct TLSTests {
    /// A server with a plain port and a TLS port whose certificate names `localhost` only.
    private func start(requireClientCertificates: Bool = false) async throws -> (RedisServerProcess, TLSCertificates) {
        let certificates = try await TLSCertificates.make()
        let server = try await RedisServerProcess.start(tls: certificates, requireClientCertificates: requireClientCertificates)
        return (server, certificates)
    }

    private func configuration(_ url: String, ca: String?) throws -> RedisConnectionConfiguration {
        var configuration = try RedisConnectionConfiguration(url: url)
        configuration.tls?.certificateAuthorityFile = ca
        return configuration
    }

    @Test("rediss:// with the server's CA: commands, pipelines and the pool work over TLS")
    func verifiedConnection() async throws {
        let (server, certificates) = try await start()
        let url = try #require(server.tlsURL)
        let connection = try await RedisConnection.connect(configuration: configuration(url, ca: certificates.caFile))
        defer { connection.close() }
        try await connection.send("SET", "k", "over tls")
        #expect(try await connection.send("GET", "k") == .bulk(Array("over tls".utf8)))
        // By address, naming the host for SNI and verification.
        var byAddress = try configuration("rediss://127.0.0.1:\(server.tlsPort!)", ca: certificates.caFile)
        byAddress.tls?.serverName = "localhost"
        let named = try await RedisConnection.connect(configuration: byAddress)
        #expect(try await named.send("PING") == .status("PONG"))
        named.close()
        try await withRedisClient(RedisClientConfiguration(connection: configuration(url, ca: certificates.caFile))) { redis in
            let replies = try await withThrowingTaskGroup(of: RedisReply.self) { group in
                for index in 0..<200 { group.addTask { try await redis.send("ECHO", "\(index)") } }
                return try await group.reduce(into: 0) { count, _ in count += 1 }
            }
            #expect(replies == 200)
        }
    }

    @Test("an unknown CA, a wrong host name and TLS to a plain port are typed .tls errors; nothing falls back to TCP")
    func verificationFailures() async throws {
        let (server, certificates) = try await start()
        let url = try #require(server.tlsURL)
        let unknown = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(configuration: configuration(url, ca: certificates.otherCAFile))
        }
        #expect(unknown?.code == .tls, "\(String(describing: unknown))")
        let systemRoots = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(configuration: configuration(url, ca: nil))
        }
        #expect(systemRoots?.code == .tls, "\(String(describing: systemRoots))")
        var wrongName = try configuration(url, ca: certificates.caFile)
        wrongName.tls?.serverName = "redis.wrong.example"
        let name = await #expect(throws: RedisError.self) { try await RedisConnection.connect(configuration: wrongName) }
        #expect(name?.code == .tls, "\(String(describing: name))")
        let address = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(configuration: configuration("rediss://127.0.0.1:\(server.tlsPort!)", ca: certificates.caFile))
        }
        #expect(address?.code == .tls, "the certificate names localhost, not 127.0.0.1")
        var plainPort = try configuration("rediss://localhost:\(server.port)", ca: certificates.caFile)
        plainPort.timeouts.connect = .milliseconds(500)
        let plain = await #expect(throws: RedisError.self) { try await RedisConnection.connect(configuration: plainPort) }
        #expect(plain?.code == .tls, "\(String(describing: plain))")
        // The explicit test-only opt-out connects despite the unknown CA.
        var insecure = try configuration(url, ca: nil)
        insecure.tls?.insecureSkipVerification = true
        let connection = try await RedisConnection.connect(configuration: insecure)
        #expect(try await connection.send("PING") == .status("PONG"))
        connection.close()
    }

    @Test("plain TCP to a TLS port fails with a typed error that points at rediss://")
    func plainToTLSPort() async throws {
        let (server, _) = try await start()
        var configuration = try RedisConnectionConfiguration(url: "redis://127.0.0.1:\(server.tlsPort!)")
        configuration.timeouts.connect = .seconds(1)
        let error = await #expect(throws: RedisError.self) { try await RedisConnection.connect(configuration: configuration) }
        #expect([.connectFailed, .connectTimeout].contains(error?.code), "\(String(describing: error))")
    }

    @Test("mutual TLS: a server that requires a client certificate accepts ours and refuses a client without one")
    func mutualTLS() async throws {
        let (server, certificates) = try await start(requireClientCertificates: true)
        let url = try #require(server.tlsURL)
        let anonymous = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(configuration: configuration(url, ca: certificates.caFile))
        }
        #expect([.tls, .connectFailed].contains(anonymous?.code), "\(String(describing: anonymous))")
        var mutual = try configuration(url, ca: certificates.caFile)
        mutual.tls?.certificateFile = certificates.clientCertificateFile
        mutual.tls?.privateKeyFile = certificates.clientKeyFile
        let connection = try await RedisConnection.connect(configuration: mutual)
        #expect(try await connection.send("PING") == .status("PONG"))
        connection.close()
    }
}
