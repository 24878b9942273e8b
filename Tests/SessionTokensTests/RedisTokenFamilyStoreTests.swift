// RedisTokenFamilyStoreTests: what only the Redis store must show: no raw token stored, the poll as a fallback, outages.

import Foundation
import HiredisClient
import RedisSessionStore
import EmbeddedRedis
import SessionStore
import SessionTokens
import Testing

@Suite("RedisTokenFamilyStore on a real redis-server")
struct RedisTokenFamilyStoreTests {
    @Test("Redis never holds a refresh token: keys and values are HMACs, ids and a sealed successor")
    func noRawTokens() async throws {
        try await withTokenStore(.redis) { harness in
            let first = try await harness.store.issue(user: "alice")
            guard case .rotated(let second) = try await harness.store.refresh(first.refreshToken) else {
                Issue.record("no rotation")
                return
            }
            let connection = try await RedisConnection.connect(configuration: .init(url: harness.servers[0].url))
            defer { connection.close() }
            let keys = try await connection.send("KEYS", "*").array?.compactMap(\.string) ?? []
            var dump = keys.joined(separator: "\n")
            for key in keys {
                let type = try await connection.send("TYPE", key).string
                if type == "hash" {
                    dump += (try await connection.send("HGETALL", key).array ?? []).compactMap(\.string).joined(separator: "\n")
                } else if type == "string" {
                    dump += try await connection.send("GET", key).string ?? ""
                }
            }
            #expect(!dump.contains(first.refreshToken))
            #expect(!dump.contains(second.refreshToken))
            #expect(!dump.contains(String(second.refreshToken.dropFirst(8).prefix(20))))
            #expect(keys.allSatisfy { !$0.contains("alice") }, "the user name may be a field value, never in a key")
            // Every key has a TTL.
            for key in keys { #expect(try await connection.send("PTTL", key).int ?? -1 > 0, "\(key) has no TTL") }
        }
    }

    @Test("a revocation whose announcement is lost still arrives, through the poll of the log")
    func pollFallback() async throws {
        try await withTokenStore(.redis) { harness in
            let list = RevocationList(horizon: .seconds(20), maxStaleness: .seconds(1))
            let follower = Task { await harness.store.followRevocations(into: list) }
            defer { follower.cancel() }
            #expect(await waitUntil(within: .seconds(2)) { list.isFresh } != nil)
            // Written straight into the log, with no message on the channel: as if the message were lost.
            let connection = try await RedisConnection.connect(configuration: .init(url: harness.servers[0].url))
            defer { connection.close() }
            _ = try await connection.send("XADD", "tok:revocations", "*", "f", "lost-family")
            let took = await waitUntil(within: .seconds(1)) { list.status(of: "lost-family") == .revoked }
            #expect(took != nil, "the poll did not find the revocation within 1 s")
        }
    }

    @Test("when Redis stops answering the list goes stale within a second and recovers after")
    func staleness() async throws {
        try await withTokenStore(.redis) { harness in
            let list = RevocationList(horizon: .seconds(20), maxStaleness: .milliseconds(800))
            let follower = Task { await harness.store.followRevocations(into: list) }
            defer { follower.cancel() }
            #expect(await waitUntil(within: .seconds(2)) { list.isFresh } != nil)
            let server = harness.servers[0]
            server.freeze()
            #expect(await waitUntil(within: .seconds(2)) { list.status(of: "any") == .unknown } != nil, "the list stayed fresh without Redis")
            server.thaw()
            #expect(await waitUntil(within: .seconds(3)) { list.status(of: "any") == .valid } != nil, "the list did not recover")
        }
    }

    @Test("store failures are .unavailable, never a crash or a wrong answer")
    func outage() async throws {
        try await withTokenStore(.redis) { harness in
            let grant = try await harness.store.issue(user: "alice")
            await harness.servers[0].stop()
            do {
                _ = try await harness.store.refresh(grant.refreshToken)
                Issue.record("a refresh succeeded without Redis")
            } catch let error as SessionStoreError {
                #expect(error.code == .unavailable)
            }
        }
    }

    @Test("a revocation the log cannot record yet is not lost: the family stays marked and the retry records it")
    func unrecordedRevocationIsRetried() async throws {
        try await withTokenStore(.redis) { harness in
            let list = RevocationList(horizon: .seconds(20), maxStaleness: .seconds(1))
            let follower = Task { await harness.store.followRevocations(into: list) }
            defer { follower.cancel() }
            #expect(await waitUntil(within: .seconds(2)) { list.isFresh } != nil)
            let grant = try await harness.store.issue(user: "alice")
            let connection = try await RedisConnection.connect(configuration: .init(url: harness.servers[0].url))
            defer { connection.close() }
            // The log's key holds a string: every write to the log fails (WRONGTYPE), as if its node were down.
            _ = try await connection.send("DEL", "tok:revocations")
            _ = try await connection.send("SET", "tok:revocations", "in the way")
            await #expect(throws: SessionStoreError.self) { try await harness.store.revokeFamily(grant.family.id, ofUser: "alice") }
            // Marked: no refresh works (a refresh is taken for reuse, whose recording fails the same way), and the
            // family is no longer listed …
            await #expect(throws: SessionStoreError.self) { try await harness.store.refresh(grant.refreshToken) }
            #expect(try await harness.store.families(ofUser: "alice").isEmpty)
            // … and once the log works again, repeating the operation records it and every instance learns it.
            _ = try await connection.send("DEL", "tok:revocations")
            #expect(try await harness.store.revokeFamilies(ofUser: "alice") == [grant.family.id])
            #expect(await waitUntil(within: .seconds(1)) { list.status(of: grant.family.id) == .revoked } != nil)
        }
    }

    @Test("a new instance reads a long revocation log page by page before it vouches for any token")
    func longLogIsPaged() async throws {
        try await withTokenStore(.redis) { harness in
            let connection = try await RedisConnection.connect(configuration: .init(url: harness.servers[0].url))
            defer { connection.close() }
            let count = 1041  // more than two pages of 512
            _ = try await connection.pipeline((0..<count).map { RedisCommand("XADD", "tok:revocations", "*", "f", "family-\($0)") })
            let list = RevocationList(horizon: .seconds(20), maxStaleness: .seconds(1))
            let follower = Task { await harness.store.followRevocations(into: list) }
            defer { follower.cancel() }
            #expect(await waitUntil(within: .seconds(2)) { list.isFresh } != nil)
            #expect(list.count == count)
            #expect(list.status(of: "family-0") == .revoked && list.status(of: "family-\(count - 1)") == .revoked)
        }
    }

    @Test("with durable revocation and no replica to confirm, refreshes and revocations still succeed, after the wait")
    func durableRevocationWithoutReplica() async throws {
        try await withTokenStore(.redis, durableRevocation: .init(replicas: 1, timeout: .milliseconds(50))) { harness in
            let grant = try await harness.store.issue(user: "alice")
            let started = ContinuousClock.now
            guard case .rotated = try await harness.store.refresh(grant.refreshToken) else {
                Issue.record("no rotation")
                return
            }
            #expect(ContinuousClock.now - started >= .milliseconds(50), "the refresh waited for the replica")
            #expect(try await harness.store.revokeFamily(grant.family.id, ofUser: "alice"))
        }
    }
}
