// RedisServerTests: the session server on a real redis-server: /healthz turns 503 and sessions fail closed.

import Foundation
import HiredisClient
import Hummingbird
import HummingbirdTesting
import Logging
import EmbeddedRedis
import SessionStore
import Testing

@testable import session_server

@Suite struct RedisServerTests {
    @Test func healthzAndFailClosedWhenRedisDies() async throws {
        let redis = try await RedisServerProcess.start()
        let backend = try await StoreBackend.open(
            memory: false, redisURL: redis.url, keyring: .ephemeral(), configuration: .init(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let client = try #require(backend.client)
        let runner = Task { try await client.run() }
        defer {
            client.shutdown()
            runner.cancel()
        }
        let server = try TestServer(store: backend.store)
        try await server.app(healthCheck: backend.healthCheck).test(.router) { http in
            #expect(try await http.execute(uri: "/healthz", method: .get).status == .ok)
            var browser = Browser()
            try await browser.login(http, password: server.password)
            #expect(try await browser.send(http, .post, "/counter/increment").json()["value"] as? Int == 1)
            #expect(try await browser.send(http, .get, "/me").status == .ok)

            await redis.kill()
            let health = try await http.execute(uri: "/healthz", method: .get)
            #expect(health.status == .serviceUnavailable)
            #expect(try health.json()["error"] is String)
            #expect(try await browser.send(http, .get, "/me").status == .serviceUnavailable)
            #expect(try await browser.send(http, .get, "/counter").status == .serviceUnavailable)
            #expect(try await http.execute(uri: "/ping", method: .get).status == .ok)
        }
        client.shutdown()
        _ = try? await runner.value
    }

    @Test func redisOverTLSWorksAndAnUnverifiableServerFailsClosed() async throws {
        let certificates = try await TLSCertificates.make()
        let redis = try await RedisServerProcess.start(tls: certificates)
        let url = try #require(redis.tlsURL)
        for (ca, healthy) in [(certificates.caFile, true), (certificates.otherCAFile, false)] {
            let backend = try await StoreBackend.open(
                memory: false, redisURL: url, redisTLS: RedisTLSConfiguration(certificateAuthorityFile: ca),
                keyring: .ephemeral(), configuration: .init(),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            let client = try #require(backend.client)
            let runner = Task { try await client.run() }
            let server = try TestServer(store: backend.store)
            try await server.app(healthCheck: backend.healthCheck).test(.router) { http in
                if healthy {
                    #expect(try await http.execute(uri: "/healthz", method: .get).status == .ok)
                    var browser = Browser()
                    try await browser.login(http, password: server.password)
                    #expect(try await browser.send(http, .get, "/me").status == .ok)
                } else {
                    // Never plain TCP instead: the store is unreachable, and requests that need it get 503.
                    #expect(try await http.execute(uri: "/healthz", method: .get).status == .serviceUnavailable)
                    #expect(try await http.execute(uri: "/csrf", method: .get).status == .serviceUnavailable)
                }
            }
            client.shutdown()
            _ = try? await runner.value
        }
    }
}
