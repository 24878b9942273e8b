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
        /// When set, logouts, renewals and other rotations wait until replicas confirm them (`WAIT`). Default: `nil`.
        public var durableRevocation: DurableRevocation?

        /// Creates a configuration.
        public init(sessions: SessionConfiguration = .init(), keyPrefix: String = "sess", durableRevocation: DurableRevocation? = nil) {
            self.sessions = sessions
            self.keyPrefix = keyPrefix
            self.durableRevocation = durableRevocation
        }
    }

    /// Makes the writes that end a session (logout, logout-everywhere, ending one session by handle, and the
    /// rotations that retire a token: renewal, privilege change, login) wait until `replicas` replicas confirm them,
    /// with `WAIT` on the same connection right after the script.
    ///
    /// Redis replicates asynchronously: a failover right after a logout can promote a replica that never saw it, and
    /// the logged-out session comes back. Waiting closes that window for the writes that matter for security, at
    /// the cost of one replica round trip on those operations (not on loads or saves). When the confirmation does not
    /// come within `timeout` (no replica, or a slow one), the operation still succeeds on the primary: it is logged
    /// as a warning and counted in `session_revocations_unconfirmed_total`, for alerting.
    public struct DurableRevocation: Sendable {
        /// How many replicas must confirm. Default: 1.
        public var replicas: Int
        /// The longest wait for them. Default: 100 ms.
        public var timeout: Duration

        /// Creates the setting.
        public init(replicas: Int = 1, timeout: Duration = .milliseconds(100)) {
            self.replicas = replicas
            self.timeout = timeout
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
        if let durable = configuration.durableRevocation, durable.replicas < 1 || durable.timeout <= .zero {
            throw SessionStoreError(.invalidConfiguration, "durable revocation needs at least 1 replica and a positive timeout")
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

    // The three choke points to Redis (pipeline, send, run) each count one round trip for the operation's span (see
    // TracedSessionStore; a script's EVALSHA → EVAL retry after NOSCRIPT is not counted again).

    /// Sends commands in one pipeline (one round trip); failures become `.unavailable` like a script's.
    func pipeline(_ commands: [RedisCommand]) async throws(SessionStoreError) -> [RedisReply] {
        SessionStoreTracing.countRoundTrip()
        do {
            return try await redis.pipeline(commands)
        } catch {
            throw SessionStoreError(.unavailable, "Redis failed: \(error)", underlying: error)
        }
    }

    /// Sends one command; an error reply is returned (as by ``pipeline(_:)``), other failures become `.unavailable`.
    func send(_ command: RedisCommand) async throws(SessionStoreError) -> RedisReply {
        SessionStoreTracing.countRoundTrip()
        do {
            return try await redis.send(command, timeout: nil)
        } catch let error as RedisError where error.serverError != nil {
            return .error(error.serverError!)
        } catch {
            throw SessionStoreError(.unavailable, "Redis failed: \(error)", underlying: error)
        }
    }

    /// Runs a script; Redis or pool failures become `.unavailable` so callers fail closed. With `revoking` and
    /// ``Configuration/durableRevocation`` set, waits for the replicas to confirm it (see ``DurableRevocation``).
    func run(
        _ script: RedisScript, keys: [String], arguments: [any RedisArgument], revoking: Bool = false
    ) async throws(SessionStoreError) -> [RedisReply] {
        SessionStoreTracing.countRoundTrip()
        do {
            let reply: RedisReply
            if revoking, let durable = settings.durableRevocation {
                reply = try await runConfirmed(script, keys: keys, arguments: arguments, durable)
            } else {
                reply = try await redis.run(script, keys: keys, arguments: arguments)
            }
            if case .integer = reply { return [reply] }
            return reply.array ?? []
        } catch {
            throw SessionStoreError(.unavailable, "Redis failed: \(error)", underlying: error)
        }
    }

    /// The script, then `WAIT`; an unconfirmed write is reported, not failed.
    private func runConfirmed(_ script: RedisScript, keys: [String], arguments: [any RedisArgument], _ durable: DurableRevocation) async throws -> RedisReply {
        let (reply, confirmed) = try await redis.run(script, keys: keys, arguments: arguments, confirmedBy: durable.replicas, within: durable.timeout)
        if confirmed < durable.replicas {
            SessionMetrics.revocationUnconfirmed()
            logger.warning("a session revocation was not confirmed by the replicas in time; a failover now could undo it", metadata: [
                "confirmed": "\(confirmed)", "wanted": "\(durable.replicas)", "timeout": "\(durable.timeout)",
            ])
        }
        return reply
    }
}
