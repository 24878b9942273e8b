// SecretRotationTests: a rolling secret rotation across two server instances sharing one Redis, step by step.

import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import EmbeddedRedis
import Testing

@testable import session_server

@Suite struct SecretRotationTests {
    static let s1 = String(repeating: "1", count: 40)
    static let s2 = String(repeating: "2", count: 40)

    /// Runs `body` with two instances (A and B) configured by `SESSION_SECRETS` values, on one Redis.
    func withInstances<Value: Sendable>(
        _ secretsA: String, _ secretsB: String, redisURL: String,
        _ body: @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        func instance(_ secrets: String) async throws -> (TestServer, StoreBackend) {
            let options = try ResolvedOptions(try SessionServer.parse([]), environment: [
                "SESSION_REDIS_URL": redisURL, "SESSION_SECRETS": secrets, "SESSION_DEMO_PASSWORD": "pw",
            ])
            let backend = try await StoreBackend.open(
                memory: false, redisURL: options.redisURL, keyring: options.keyring, configuration: options.sessionConfiguration,
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            return (try TestServer(store: backend.store), backend)
        }
        let (serverA, backendA) = try await instance(secretsA)
        let (serverB, backendB) = try await instance(secretsB)
        let clients = [backendA.client!, backendB.client!]
        let runners = clients.map { client in Task { try await client.run() } }
        defer {
            for client in clients { client.shutdown() }
            for runner in runners { runner.cancel() }
        }
        return try await serverA.app().test(.router) { a in
            try await serverB.app().test(.router) { b in try await body(a, b) }
        }
    }

    @Test("users logged in before and during a rolling rotation keep working on both instances; no CSRF check fails")
    func rollingRotation() async throws {
        let redis = try await RedisServerProcess.start()
        let (v1, both, promoted) = ("1:\(Self.s1)", "1:\(Self.s1),2:\(Self.s2)", "2:\(Self.s2),1:\(Self.s1)")
        // Each step restarts one instance: make v2 known everywhere, then promote it everywhere.
        let steps = [(v1, v1), (both, v1), (both, both), (promoted, both), (promoted, promoted)]
        var browsers: [Browser] = []
        for (step, (secretsA, secretsB)) in steps.enumerated() {
            browsers = try await withInstances(secretsA, secretsB, redisURL: redis.url) { [browsers] a, b in
                var browsers = browsers
                var newcomer = Browser()
                let loginClient = step % 2 == 0 ? a : b
                try await newcomer.login(loginClient, user: step % 2 == 0 ? "alice" : "bob", password: try TestServer().password)
                browsers.append(newcomer)
                for (index, browser) in browsers.enumerated() {
                    for (name, client) in [("A", a), ("B", b)] {
                        var user = browser
                        let me = try await user.send(client, .get, "/me")
                        #expect(me.status == .ok, "step \(step): user \(index) on \(name): \(me.status)")
                        let write = try await user.send(client, .post, "/counter/increment")
                        #expect(write.status == .ok, "step \(step): user \(index)'s CSRF token on \(name): \(write.status)")
                    }
                }
                // A renewal during the rotation keeps the CSRF token a page already holds.
                var renewing = browsers[0]
                let renewClient = step % 2 == 0 ? b : a
                let renew = try await renewing.send(renewClient, .post, "/renew")
                let renewedCSRF = try renew.json()["csrfToken"] as? String
                #expect(renew.status == .ok && renewedCSRF == browsers[0].csrf)
                browsers[0] = renewing
                return browsers
            }
        }
    }
}
