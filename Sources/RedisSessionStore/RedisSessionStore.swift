// RedisSessionStore: the SessionStore over HiredisClient: one Lua script, one round trip per operation.

import Foundation
import HiredisClient
import Logging
import SessionStore

/// A ``SessionStore`` in Redis, shared by any number of app servers.
///
/// Every operation is one atomic Lua script in one round trip (a plain load is an `HGETALL`, see ``RedisClock``;
/// a login that moves a session to its user's hash slot takes three: read, copy, retire). Time comes from Redis,
/// so servers with skewed clocks agree. Redis never sees a token: keys are HMACs of tokens under the server secret.
///
/// Key layout (`sess` is ``Configuration/keyPrefix``; `{tag}` keeps a session, its renewal tombstone and its
/// user's index in one hash slot for Redis Cluster):
///
/// | key | type | content | TTL |
/// |---|---|---|---|
/// | `sess:{tag}:<id>` | hash | `""` packed metadata (created, last access, absolute expiry, idle, revision, size), `_u` user, after a renewal `_f` CSRF family and `_p` tombstone ids; attributes as JSON | min(idle, time to absolute expiry) |
/// | `sess:{tag}:<old id>` after renewal | hash | `_t` successor id, `_w` rotated at, `_g` grace | max(grace, min(theft window, time to absolute expiry)) |
/// | `sess:u:{tag}:<index id>` | sorted set | session ids scored by creation time | the longest absolute expiry of its sessions |
///
/// A user's `{tag}` and index id are HMACs of the user name under the keyring's routing key: neither a key nor a
/// token reveals the user (the user name itself is stored only in the `_u` field of that user's sessions).
///
/// ```swift
/// let store = try RedisSessionStore(client: redis, keyring: keyring)
/// var session = try await store.create(user: nil)
/// ```
public final class RedisSessionStore: SessionStore {
    /// Redis-specific settings.
    public struct Configuration: Sendable {
        /// The semantics shared with every store.
        public var sessions: SessionConfiguration
        /// The prefix of every key. Default: `sess`.
        public var keyPrefix: String

        /// Creates a configuration.
        public init(sessions: SessionConfiguration = .init(), keyPrefix: String = "sess") {
            self.sessions = sessions
            self.keyPrefix = keyPrefix
        }
    }

    public var configuration: SessionConfiguration { settings.sessions }
    let settings: Configuration
    /// How often a login retries copying a session that keeps changing while it is copied.
    static let loginAttempts = 8
    /// Load arguments that never change: the lazy-touch fraction of a session's own idle timeout, and the
    /// revoke-on-theft flag.
    let touchFraction: String
    let revokeOnTheft: String
    let redis: any RedisCommandExecutor
    let keyring: SessionKeyring
    let logger: Logger
    /// Redis's clock for the read-only load (see ``RedisClock``).
    let clock = RedisClock()

    /// Creates a store over a Redis client (or a single connection).
    /// - Parameters:
    ///   - redis: usually a ``RedisClient``.
    ///   - keyring: the server secrets; every app server sharing the Redis must use the same.
    ///   - configuration: expiry, rotation and limits.
    ///   - logger: receives store events; it never sees a token, only short hash prefixes.
    /// - Throws: ``SessionStoreError`` `.invalidConfiguration`.
    public init(
        redis: any RedisCommandExecutor,
        keyring: SessionKeyring,
        configuration: Configuration = .init(),
        logger: Logger = Logger(label: "sessions")
    ) throws(SessionStoreError) {
        try configuration.sessions.validate()
        guard !configuration.keyPrefix.isEmpty, !configuration.keyPrefix.contains("{") else {
            throw SessionStoreError(.invalidConfiguration, "the key prefix must be non-empty and contain no '{'")
        }
        self.settings = configuration
        self.touchFraction = String(configuration.sessions.expiry.touchThreshold)
        self.revokeOnTheft = configuration.sessions.rotation.revokeOnSuspectedTheft ? "1" : "0"
        self.redis = redis
        self.keyring = keyring
        self.logger = logger
    }

    func slotPrefix(_ tag: String) -> String { "\(settings.keyPrefix):{\(tag)}:" }
    func indexPrefix(_ tag: String) -> String { "\(settings.keyPrefix):u:{\(tag)}:" }
    func key(_ identity: SessionIdentity) -> String { slotPrefix(identity.tag) + identity.id }
    func indexKey(user: String, tag: String) -> String { indexPrefix(tag) + keyring.indexID(forUser: user) }

    /// Sends commands in one pipeline (one round trip); failures become `.unavailable` like a script's.
    func pipeline(_ commands: [RedisCommand]) async throws(SessionStoreError) -> [RedisReply] {
        do {
            return try await redis.pipeline(commands)
        } catch {
            throw SessionStoreError(.unavailable, "Redis failed: \(error)", underlying: error)
        }
    }

    /// Sends one command; an error reply is returned (as by ``pipeline(_:)``), other failures become `.unavailable`.
    func send(_ command: RedisCommand) async throws(SessionStoreError) -> RedisReply {
        do {
            return try await redis.send(command, timeout: nil)
        } catch let error as RedisError where error.serverError != nil {
            return .error(error.serverError!)
        } catch {
            throw SessionStoreError(.unavailable, "Redis failed: \(error)", underlying: error)
        }
    }

    /// Runs a script; Redis or pool failures become `.unavailable` so callers fail closed.
    func run(_ script: RedisScript, keys: [String], arguments: [any RedisArgument]) async throws(SessionStoreError) -> [RedisReply] {
        do {
            let reply = try await redis.run(script, keys: keys, arguments: arguments)
            if case .integer = reply { return [reply] }
            return reply.array ?? []
        } catch {
            throw SessionStoreError(.unavailable, "Redis failed: \(error)", underlying: error)
        }
    }
}
