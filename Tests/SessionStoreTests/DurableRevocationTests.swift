// DurableRevocationTests: logouts confirmed by a replica survive a failover right after; unconfirmed ones still succeed.

import EmbeddedRedis
import HiredisClient
import Logging
import RedisSessionStore
import SessionStore
import Testing

@Suite("Durable revocation")
struct DurableRevocationTests {
    private func withStore(
        url: String, durable: RedisSessionStore.DurableRevocation?, _ body: @Sendable (RedisSessionStore) async throws -> Void
    ) async throws {
        var configuration = try RedisClientConfiguration(url: url)
        configuration.connection.timeouts.connect = .milliseconds(300)
        let client = RedisClient(configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let runner = Task { try await client.run() }
        defer {
            client.shutdown()
            runner.cancel()
        }
        var sessions = testConfiguration()
        sessions.expiry.idleTimeout = .seconds(60)  // longer than a failover
        let store = try RedisSessionStore(
            redis: client, keyring: .ephemeral(), configuration: .init(sessions: sessions, durableRevocation: durable))
        try await body(store)
    }

    /// Runs `body` again while the store is unavailable (for up to 10 s): just after a failover the client may still be
    /// moving its connections to the new primary, and a command given to one it is closing fails unsent (a server
    /// answers 503). Durability is what these tests check, not how soon that settles.
    private func whileUnavailable<Value: Sendable>(_ body: () async throws -> Value) async throws -> Value {
        let start = ContinuousClock.now
        while true {
            do {
                return try await body()
            } catch let error as SessionStoreError
                where error.code == .unavailable && ContinuousClock.now - start < .seconds(10) {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    @Test("a logout and a renewal confirmed by the replica stay done when the primary dies right after")
    func survivesFailover() async throws {
        let deployment = try await RedisSentinelProcesses.start()
        try await withStore(url: deployment.url, durable: .init(replicas: 1, timeout: .seconds(1))) { store in
            let loggedOut = try await store.create(user: "alice")
            let renewed = try await store.create(user: "bob")
            let successor = try await store.rotate(renewed, .renewal)
            try await store.destroy(loggedOut)
            // Killed at once: only what the replica confirmed survives the failover.
            await deployment.dataNodes[0].kill()
            // Until the replica is promoted the store fails (503 for a server); then it answers from the new primary.
            var answered = false
            var resurrected = false
            let start = ContinuousClock.now
            while !answered, ContinuousClock.now - start < .seconds(30) {
                do {
                    resurrected = try await store.load(loggedOut.token!.rawValue) != nil
                    answered = true
                } catch {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(answered, "the store did not reach the promoted replica")
            #expect(!resurrected, "the logged-out session must not come back after the failover")
            let survivor = try await whileUnavailable { try await store.load(successor.token!.rawValue)?.user }
            #expect(survivor == "bob", "the renewal's successor survived")
        }
        await deployment.stop()
    }

    @Test("without a replica the confirmation times out, and the logout still succeeds on the primary")
    func unconfirmedStillSucceeds() async throws {
        let server = try await RedisServerProcess.start()
        try await withStore(url: server.url, durable: .init(replicas: 1, timeout: .milliseconds(50))) { store in
            let session = try await store.create(user: "carol")
            let started = ContinuousClock.now
            try await store.destroy(session)
            #expect(ContinuousClock.now - started >= .milliseconds(50), "WAIT ran on the primary")
            #expect(try await store.load(session.token!.rawValue) == nil)
        }
        #expect(throws: SessionStoreError.self) {
            _ = try RedisSessionStore(redis: try RedisClient(configuration: .init(url: server.url)), keyring: .ephemeral(),
                                      configuration: .init(durableRevocation: .init(replicas: 0)))
        }
    }
}
