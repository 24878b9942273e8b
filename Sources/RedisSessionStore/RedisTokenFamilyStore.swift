// RedisTokenFamilyStore: refresh-token families in Redis, one Lua script per operation, and the revocation log.

import Crypto
import HiredisClient
import Logging
import SessionStore
import SessionTokens

/// A ``TokenFamilyStore`` in Redis, shared by every app server.
///
/// Refresh tokens have the session tokens' form (52 base64url characters: key version, routing, 256 random bits)
/// and, like them, never reach Redis: a token's key is an HMAC of it under the keyring. A user's families, their
/// refresh keys and the user's index share one hash slot (the user's routing tag), so every operation is one atomic
/// script, also on a Redis Cluster.
///
/// | key | type | content | TTL |
/// |---|---|---|---|
/// | `tok:{tag}:f:<family>` | hash | user, created, absolute expiry, idle, current and last spent refresh ids, the sealed successor, the refresh ids kept | min(idle, time to absolute expiry) |
/// | `tok:{tag}:r:<id>` | string | the family id (the token current or spent) | time to the family's absolute expiry |
/// | `tok:u:{tag}:<index id>` | sorted set | family ids by creation | the longest absolute expiry |
/// | `tok:revocations` | stream | entries `f` = revoked family ids (the revocation log), trimmed to the horizon | the revocation horizon |
///
/// **The grace.** When a refresh spends a token, the successor is stored sealed (AES-GCM) under a key derived from
/// the spent token and the server secret: a second presentation of the spent token within the grace opens it and
/// gets the same successor, while Redis alone cannot (it never holds the spent token).
///
/// **Revocations** (reuse, logout, eviction) are marked on the family, added to the revocation log and published on
/// the channel `tok:revoked`, then the family is ended; ``followRevocations(into:)`` listens to the channel and polls
/// the log every ``pollInterval`` (the bound when a message is lost), so every instance's ``RevocationList`` knows
/// within a second. On a Redis Cluster the log is one key, on one primary: while it fails over, the lists go stale
/// and bearer verification fails closed.
public final class RedisTokenFamilyStore: TokenFamilyStore {
    public let configuration: TokenFamilyConfiguration
    let client: RedisClient
    let keyring: SessionKeyring
    let keyPrefix: String
    let logger: Logger
    /// How often ``followRevocations(into:)`` reads the revocation log.
    public let pollInterval: Duration
    /// When set, rotations and every step of a revocation wait for replicas to confirm them (as the session store's).
    public let durableRevocation: RedisSessionStore.DurableRevocation?
    /// The key that seals successors for the grace, per secret version (see `sealingKey(for:)`).
    let sealingKeys: [UInt8: SymmetricKey]
    /// A family keeps the keys of its newest refresh ids, so that reuse of any of them is recognised.
    static let keptRefreshIDs = 64

    /// Creates the store.
    /// - Parameters:
    ///   - client: the Redis client (its Pub/Sub carries revocations).
    ///   - keyring: the server secrets: every app server sharing the Redis must use the same.
    ///   - configuration: lifetimes, grace and limit.
    ///   - keyPrefix: the prefix of every key and of the channel. Default: `tok`.
    ///   - pollInterval: how often the revocation log is read (the bound of the revocation window when a Pub/Sub
    ///     message is lost). Default: 200 ms.
    ///   - durableRevocation: when set, refreshes (which spend a token) and every step of a revocation wait until
    ///     replicas confirm them (`WAIT`), so that a failover cannot bring back a spent token or a revoked family.
    ///     Default: `nil`.
    ///   - logger: never sees a token.
    /// - Throws: ``SessionStoreError`` `.invalidConfiguration`.
    public init(
        client: RedisClient, keyring: SessionKeyring, configuration: TokenFamilyConfiguration = .init(), keyPrefix: String = "tok",
        pollInterval: Duration = .milliseconds(200), durableRevocation: RedisSessionStore.DurableRevocation? = nil,
        logger: Logger = Logger(label: "tokens")
    ) throws(SessionStoreError) {
        if let durable = durableRevocation, durable.replicas < 1 || durable.timeout <= .zero {
            throw SessionStoreError(.invalidConfiguration, "durable revocation needs at least 1 replica and a positive timeout")
        }
        self.durableRevocation = durableRevocation
        try configuration.validate()
        guard !keyPrefix.isEmpty, !keyPrefix.contains("{") else {
            throw SessionStoreError(.invalidConfiguration, "the key prefix must be non-empty and contain no '{'")
        }
        guard pollInterval > .zero else { throw SessionStoreError(.invalidConfiguration, "the poll interval must be positive") }
        self.configuration = configuration
        self.client = client
        self.keyring = keyring
        self.keyPrefix = keyPrefix
        self.pollInterval = pollInterval
        self.logger = logger
        var sealingKeys: [UInt8: SymmetricKey] = [:]
        for version in keyring.versions { sealingKeys[version] = keyring.secret(version: version)?.derivedKey(purpose: "refresh-grace-seal") }
        self.sealingKeys = sealingKeys
    }

    func slotPrefix(_ tag: String) -> String { "\(keyPrefix):{\(tag)}:" }
    func indexKey(user: String) -> String { "\(keyPrefix):u:{\(keyring.slotTag(forUser: user))}:\(keyring.indexID(forUser: user))" }
    var revocationLogKey: String { "\(keyPrefix):revocations" }
    var revocationChannel: String { "\(keyPrefix):revoked" }

    /// Runs a script; failures become `.unavailable` (fail closed). With `revoking` and ``durableRevocation`` set,
    /// waits for the replicas to confirm it (see `RedisSessionStore.DurableRevocation`); an unconfirmed write is
    /// logged and counted, not failed.
    func run(_ script: RedisScript, keys: [String], arguments: [any RedisArgument], revoking: Bool = false) async throws(SessionStoreError) -> RedisReply {
        SessionStoreTracing.countRoundTrip()  // the one choke point: one round trip for the operation's span
        do {
            guard revoking, let durable = durableRevocation else { return try await client.run(script, keys: keys, arguments: arguments) }
            let (reply, confirmed) = try await client.run(script, keys: keys, arguments: arguments, confirmedBy: durable.replicas, within: durable.timeout)
            if confirmed < durable.replicas {
                SessionMetrics.revocationUnconfirmed()
                logger.warning("a token revocation or rotation was not confirmed by the replicas in time; a failover now could undo it", metadata: [
                    "confirmed": "\(confirmed)", "wanted": "\(durable.replicas)",
                ])
            }
            return reply
        } catch {
            throw SessionStoreError(.unavailable, "Redis failed: \(error)", underlying: error)
        }
    }
}
