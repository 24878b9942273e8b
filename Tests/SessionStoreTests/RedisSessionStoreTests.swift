// RedisSessionStoreTests: what only the Redis store must show: one round trip each, no raw tokens, TTLs, outages.

import Crypto
import Foundation
import HiredisClient
import Logging
import RedisSessionStore
import EmbeddedRedis
import SessionStore
import Synchronization
import Testing

@Suite("RedisSessionStore on a real redis-server")
struct RedisSessionStoreTests {
    /// A store over one plain connection, so that INFO counts exactly the store's commands.
    func withConnectionStore(
        _ body: @Sendable (RedisSessionStore, RedisConnection, RoundTripCounter) async throws -> Void
    ) async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        let counter = RoundTripCounter(connection)
        let store = try RedisSessionStore(redis: counter, keyring: .ephemeral(), configuration: .init(sessions: testConfiguration()))
        try await body(store, connection, counter)
    }

    /// Script calls the server executed (EVALSHA + EVAL, top level only), from INFO commandstats.
    func scriptCalls(_ connection: RedisConnection) async throws -> Int {
        let info = try await connection.send("INFO", "commandstats").string ?? ""
        return info.split(whereSeparator: \.isNewline).reduce(0) { total, line in
            guard line.hasPrefix("cmdstat_evalsha:") || line.hasPrefix("cmdstat_eval:") else { return total }
            let calls = line.split(separator: "=")[1].split(separator: ",")[0]
            return total + (Int(calls) ?? 0)
        }
    }

    @Test("every store operation is exactly one round trip; a plain load runs no script")
    func oneRoundTripEach() async throws {
        try await withConnectionStore { store, connection, counter in
            // Load every script once so that the count shows EVALSHA only (no NOSCRIPT fallback).
            var warm = try await store.create(user: "warm")
            try warm.set("a", to: 1)
            try await store.save(&warm)
            _ = try await store.load(warm.token!.rawValue)
            _ = try await store.increment(warm, "n", by: 1)
            _ = try await store.touch(warm)
            let renewed = try await store.rotate(warm, .renewal)
            _ = try await store.sessions(ofUser: "warm")
            _ = try await store.destroySessions(ofUser: "warm", keeping: renewed)
            try await store.destroy(renewed)
            let anonymousWarm = try await store.create(user: nil)
            _ = try await store.rotate(anonymousWarm, .login(user: "warm"))

            /// Round trips the client made (calls of send/pipeline) and scripts the server ran during `operation`.
            func measure(_ operation: () async throws -> Void) async throws -> (roundTrips: Int, scripts: Int) {
                let scriptsBefore = try await scriptCalls(connection)
                let before = counter.roundTrips.withLock { $0 }
                try await operation()
                return (counter.roundTrips.withLock { $0 } - before, try await scriptCalls(connection) - scriptsBefore)
            }
            /// 1 for one round trip whose commands were all scripts, else minus the scripts run.
            func count(_ operation: () async throws -> Void) async throws -> Int {
                let (roundTrips, scripts) = try await measure(operation)
                return roundTrips == 1 && scripts == counter.lastCommandCount.withLock({ $0 }) ? roundTrips : -scripts
            }
            /// One round trip and no script: the read-only path of `load`.
            func readOnly(_ operation: () async throws -> Void) async throws -> Bool {
                try await measure(operation) == (1, 0)
            }
            var session = try await store.create(user: nil)
            #expect(try await count { session = try await store.create(user: "alice") } == 1)
            #expect(try await readOnly { _ = try await store.load(session.token!.rawValue) },
                    "a live session that needs no touch loads without a script")
            try session.set("x", to: 1)
            #expect(try await count { try await store.save(&session) } == 1)
            #expect(try await count { _ = try await store.increment(session, "n", by: 2) } == 1)
            #expect(try await count { _ = try await store.touch(session) } == 1)
            #expect(try await count { session = try await store.rotate(session, .renewal) } == 1)
            #expect(try await count { session = try await store.rotate(session, .privilegeChange) } == 1)
            #expect(try await count { _ = try await store.sessions(ofUser: "alice") } == 1)
            #expect(try await count { _ = try await store.destroySessions(ofUser: "alice", keeping: session) } == 1)
            #expect(try await count { try await store.destroy(session) } == 1)
            let anonymous = try await store.create(user: nil)
            let login = try await measure { _ = try await store.rotate(anonymous, .login(user: "bob")) }
            #expect(login == (3, 2), "a login into the user's slot: read the session, create the copy, retire the original")
            #expect(try await count { _ = try await store.load("malformed") } == 0, "malformed tokens never reach Redis")
        }
    }

    /// Calls of `command` the server executed, from INFO commandstats.
    func commandCalls(_ command: String, _ connection: RedisConnection) async throws -> Int {
        let info = try await connection.send("INFO", "commandstats").string ?? ""
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("cmdstat_\(command):calls=") }
        return line.flatMap { Int($0.split(separator: "=")[1].split(separator: ",")[0]) } ?? 0
    }

    @Test("a plain load reads Redis's clock with TIME at most once a second, and HGETALL alone in between")
    func plainLoadsShareOneTime() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        var configuration = testConfiguration()
        configuration.expiry.idleTimeout = .seconds(60)  // no lazy touch (a script) within the test
        let store = try RedisSessionStore(redis: connection, keyring: .ephemeral(), configuration: .init(sessions: configuration))
        let session = try await store.create(user: "alice")
        func delta(_ operation: () async throws -> Void) async throws -> (time: Int, hgetall: Int) {
            let (time, hgetall) = (try await commandCalls("time", connection), try await commandCalls("hgetall", connection))
            try await operation()
            return (try await commandCalls("time", connection) - time, try await commandCalls("hgetall", connection) - hgetall)
        }
        let load: () async throws -> Void = {
            let loaded = try await store.load(session.token!.rawValue)
            #expect(loaded?.user == "alice")
        }
        #expect(try await delta(load) == (1, 1), "the first load learns the clock")
        let started = ContinuousClock.now
        let tenLoads = try await delta { for _ in 0..<10 { try await load() } }
        // Then HGETALL alone (a TIME once more only if the first one's round trip was too slow to keep), as long as
        // the ten loads took less than the sample's second (they do, unless the host is badly overloaded).
        if started.duration(to: .now) < .milliseconds(800) {
            #expect(tenLoads.hgetall == 10 && tenLoads.time <= 1, "\(tenLoads)")
        }
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await delta(load) == (1, 1), "a second later, TIME again")
    }

    @Test("no raw token ever reaches Redis, and every key has a TTL")
    func noRawTokensAndEveryKeyExpires() async throws {
        try await withConnectionStore { store, connection, _ in
            var tokens: [String] = []
            var csrfTokens: [String] = []
            for index in 0..<20 {
                var session = try await store.create(user: index % 2 == 0 ? "user\(index % 4)" : nil)
                try session.set("payload", to: "value \(index)")
                try await store.save(&session)
                tokens.append(session.token!.rawValue)
                csrfTokens.append(session.csrfToken)
                let renewed = try await store.rotate(session, .renewal)
                tokens.append(renewed.token!.rawValue)
                csrfTokens.append(renewed.csrfToken)
                if index % 3 == 0 {
                    let loggedIn = try await store.rotate(renewed, .login(user: "login\(index)"))
                    tokens.append(loggedIn.token!.rawValue)
                }
            }
            let keys = try await connection.send("KEYS", "*").decode(as: [String].self)
            #expect(keys.count > 40)
            var everything = keys.joined(separator: "\n")
            for key in keys {
                // -1 would mean "no TTL"; -2 is a key that has expired since KEYS (a renewed-away token after its
                // short grace, on a slow machine), which is what a TTL is for.
                let ttl = try await connection.send("PTTL", key).int ?? -1
                #expect(ttl > 0 || ttl == -2, "\(key) must expire (PTTL \(ttl))")
                let dump = try await connection.send("DUMP", key).bytes ?? []
                everything += String(decoding: dump, as: UTF8.self)
                let type = try await connection.send("TYPE", key).string
                if type == "hash" {
                    everything += (try await connection.send("HGETALL", key).decode(as: [String].self)).joined(separator: "\n")
                } else {
                    everything += (try await connection.send("ZRANGE", key, 0, -1).decode(as: [String].self)).joined(separator: "\n")
                }
            }
            for token in tokens + csrfTokens {
                #expect(!everything.contains(token))
                #expect(!everything.contains(String(token.suffix(43))), "not even the random part")
            }
            // No key, value or token carries an unkeyed fingerprint of a user name (a dictionary would recover it).
            let users = (0..<4).map { "user\($0)" } + (0..<20).filter { $0 % 3 == 0 }.map { "login\($0)" }
            for user in users {
                let unkeyed = Self.unkeyedFingerprints(of: user)
                for fingerprint in unkeyed.texts { #expect(!everything.contains(fingerprint), "\(user): \(fingerprint) in Redis") }
                for token in tokens {
                    let bytes = try #require(Base64URLTest.decode(token))
                    #expect(Array(bytes[1..<7]) != unkeyed.routing, "\(user)'s token routes by an unkeyed hash")
                }
            }
        }
    }

    /// What the old layout exposed: SHA-256("user:" + name) routing bytes, their FNV hash tag, SHA-1 of the name.
    static func unkeyedFingerprints(of user: String) -> (texts: [String], routing: [UInt8]) {
        let routing = Array(SHA256.hash(data: Array(("user:" + user).utf8)).prefix(6))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in routing {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let tag = Base64URLTest.encode((0..<6).map { UInt8(truncatingIfNeeded: hash >> (8 * $0)) })
        let hex = { (bytes: [UInt8]) in bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
        let sha1 = hex(Array(Insecure.SHA1.hash(data: Array(user.utf8))))
        let sha256 = hex(Array(SHA256.hash(data: Array(user.utf8))))
        return ([tag, Base64URLTest.encode(routing), sha1, sha256, hex(routing)], routing)
    }

    @Test("the CSRF token is derived under the session's key version: servers agree while secrets rotate")
    func csrfAcrossKeyVersions() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        let s1 = String(repeating: "1", count: 32), s2 = String(repeating: "2", count: 32)
        let routing = String(repeating: "r", count: 32)
        func store(_ secrets: String) throws -> RedisSessionStore {
            try RedisSessionStore(redis: connection, keyring: try SessionKeyring(secrets: secrets, routingKey: routing),
                                  configuration: .init(sessions: testConfiguration()))
        }
        let old = try store("1:\(s1)"), knowing = try store("1:\(s1),2:\(s2)"), promoted = try store("2:\(s2),1:\(s1)")
        let before = try await old.create(user: "amy")
        for other in [knowing, promoted] {
            let loaded = try #require(try await other.load(before.token!.rawValue))
            #expect(loaded.csrfToken == before.csrfToken)
        }
        let after = try await promoted.create(user: "amy")
        #expect(after.token!.keyVersion == 2)
        #expect(try await knowing.load(after.token!.rawValue)?.csrfToken == after.csrfToken)
        let renewed = try await promoted.rotate(try #require(try await promoted.load(before.token!.rawValue)), .renewal)
        #expect(renewed.token!.keyVersion == 2 && renewed.csrfToken == before.csrfToken, "the family keeps its version's token")
        #expect(try await old.load(renewed.token!.rawValue) == nil, "a server that does not know v2 yet: no session, no error")
        // The routing key, not the secrets, places a user's sessions: one index across the rotation.
        #expect(try await old.sessions(ofUser: "amy").count == 2)
    }

    @Test("Redis down: typed .unavailable within the deadline, then recovery")
    func redisDown() async throws {
        let server = try await RedisServerProcess.start()
        var configuration = try RedisClientConfiguration(url: server.url)
        configuration.connection.timeouts.command = .milliseconds(300)
        configuration.pool.timeouts.leaseTimeout = .milliseconds(300)
        let client = RedisClient(configuration: configuration, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let runner = Task { try await client.run() }
        defer { client.shutdown() }
        // The first connection may take longer than the short lease timeout on a loaded machine.
        _ = try await client.withConnection(timeout: .seconds(30)) { try await $0.send("PING") }
        let store = try RedisSessionStore(redis: client, keyring: .ephemeral(), configuration: .init(sessions: testConfiguration()))
        let session = try await store.create(user: nil)
        await server.kill()
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let error = await #expect(throws: SessionStoreError.self) { _ = try await store.load(session.token!.rawValue) }
            #expect(error?.code == .unavailable)
            #expect(ContinuousClock.now - start < .seconds(1))
        }
        try await server.restart()
        var loaded = false
        for _ in 0..<100 where !loaded {
            loaded = (try? await store.create(user: nil)) != nil
            if !loaded { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(loaded, "the store works again after Redis comes back")
        client.shutdown()
        try await runner.value
    }

    @Test("scripts reload after SCRIPT FLUSH (restart or failover)")
    func scriptFlush() async throws {
        try await withConnectionStore { store, connection, _ in
            let first = try await store.create(user: nil)
            try await connection.send("SCRIPT", "FLUSH")
            #expect(try await store.load(first.token!.rawValue) != nil)
            try await connection.send("SCRIPT", "FLUSH")
            let loggedIn = try await store.rotate(first, .login(user: "zed"))
            #expect(try await store.load(loggedIn.token!.rawValue)?.user == "zed")
        }
    }
}

/// Counts the round trips (send and pipeline calls) a store makes through it.
final class RoundTripCounter: RedisCommandExecutor {
    let base: RedisConnection
    let roundTrips = Mutex(0)
    let lastCommandCount = Mutex(0)

    init(_ base: RedisConnection) { self.base = base }

    func send(_ command: RedisCommand, timeout: Duration?) async throws -> RedisReply {
        roundTrips.withLock { $0 += 1 }
        lastCommandCount.withLock { $0 = 1 }
        return try await base.send(command, timeout: timeout)
    }

    func pipeline(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply] {
        roundTrips.withLock { $0 += 1 }
        lastCommandCount.withLock { $0 = commands.count }
        return try await base.pipeline(commands, timeout: timeout)
    }
}

@Suite("RedisSessionStore memory footprint")
struct RedisSessionStoreMemoryTests {
    @Test("10k sessions with a 200-byte payload cost at most payload + 250 bytes each in Redis")
    func memoryPerSession() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
        defer { connection.close() }
        let store = try RedisSessionStore(redis: connection, keyring: .ephemeral(), configuration: .init(sessions: SessionConfiguration()))
        func usedMemory() async throws -> Int {
            let info = try await connection.send("INFO", "memory").string ?? ""
            let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("used_memory:") } ?? ""
            return Int(line.dropFirst("used_memory:".count)) ?? 0
        }
        // 200 bytes of attributes (names and JSON values), as the bench's --payload-bytes 200 makes them.
        let value = Array("\"\(String(repeating: "x", count: 46))\"".utf8)
        let payload: [String: [UInt8]] = ["p0": value, "p1": value, "p2": value, "p3": value]
        _ = try await store.create(user: nil, attributes: payload)  // loads the script before measuring
        let before = try await usedMemory()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for _ in stride(from: worker, to: 10_000, by: 16) { _ = try await store.create(user: nil, attributes: payload) }
                }
            }
            try await group.waitForAll()
        }
        let perSession = (try await usedMemory() - before) / 10_000
        let payloadBytes = payload.reduce(0) { $0 + $1.key.utf8.count + $1.value.count }
        print("Redis memory per session: \(perSession) bytes for a \(payloadBytes)-byte payload")
        #expect(perSession <= payloadBytes + 250)
    }
}

/// base64url without padding, written with Foundation (independently of the store's own codec).
enum Base64URLTest {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
