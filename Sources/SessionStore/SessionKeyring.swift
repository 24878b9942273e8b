// SessionKeyring: server secrets by version, and every identifier derived from tokens with HMAC-SHA-256.

import Crypto

/// The server secrets, by version, the routing key, and the identifiers derived from tokens with them.
///
/// Storage keys are `HMAC-SHA-256(secret[token.keyVersion], token)`, so Redis (and whoever reads it) never sees a
/// token. New tokens use the ``current`` version; older versions keep deriving keys (and CSRF tokens) for the
/// tokens issued under them until those sessions end, so a secret can be replaced without logging anyone out:
/// 1. make the new secret known to every server (kept in `previous`, the old one still current);
/// 2. promote it (current) on every server;
/// 3. drop the old one once the sessions issued under it have reached their absolute expiry.
///
/// The **routing key** places a user's sessions (and their per-user index) in one Redis hash slot: the routing
/// bytes of a logged-in token and the index key are HMACs of the user name under it, so neither a cookie nor a
/// Redis key reveals who the user is. It must not change when secrets rotate (it would split a user's sessions
/// over two slots); when not given, it is derived from the secret with the lowest version.
///
/// ```swift
/// let keyring = try SessionKeyring(current: .init(version: 2, secret: newSecret),
///                                  previous: [.init(version: 1, secret: oldSecret)], routingKey: routingKey)
/// let same = try SessionKeyring(secrets: "2:\(newSecret),1:\(oldSecret)", routingKey: routingKey)
/// ```
public struct SessionKeyring: Sendable {
    /// One server secret and its version number.
    public struct Secret: Sendable {
        /// The version number carried by tokens derived with this secret.
        public let version: UInt8
        private let material: Material

        /// The key and the HMAC state after absorbing it (copied for each use, which saves re-keying on every
        /// request), behind a reference so that copying a keyring or a session stays cheap.
        private final class Material: Sendable {
            let key: SymmetricKey
            let keyedHMAC: HMAC<SHA256>
            init(_ key: SymmetricKey) {
                self.key = key
                keyedHMAC = HMAC<SHA256>(key: key)
            }
        }

        var keyedHMAC: HMAC<SHA256> { material.keyedHMAC }

        /// 32 bytes derived from this secret with HKDF-SHA-256 for one purpose (the `info`), so that keys for other
        /// uses (token signing keys…) are independent of the HMAC keys and of each other.
        package func derivedKey(purpose: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: material.key, salt: Array("swift-redis-sessions".utf8),
                                   info: Array(purpose.utf8), outputByteCount: 32)
        }

        /// Creates a secret.
        /// - Parameters:
        ///   - version: its version number (any byte; each secret in a keyring has its own).
        ///   - secret: at least 32 bytes of high-entropy key material.
        /// - Throws: ``SessionStoreError`` `.invalidConfiguration` when the secret is shorter than 32 bytes.
        public init(version: UInt8, secret: some Collection<UInt8>) throws(SessionStoreError) {
            guard secret.count >= 32 else {
                throw SessionStoreError(.invalidConfiguration, "a session secret needs at least 32 bytes, got \(secret.count)")
            }
            self.version = version
            self.material = Material(SymmetricKey(data: Array(secret)))
        }

        /// Creates a secret from a string of at least 32 bytes (e.g. 64 hex characters from `openssl rand -hex 32`).
        public init(version: UInt8, secret: String) throws(SessionStoreError) {
            try self.init(version: version, secret: Array(secret.utf8))
        }
    }

    /// The secret new tokens are issued under.
    public let current: Secret
    private let byVersion: [UInt8: Secret]
    /// Keys the routing bytes and index names of users (version 0 is only a placeholder: it never reaches a token).
    private let routingKey: Secret

    /// Creates a keyring.
    /// - Parameters:
    ///   - current: the secret new tokens are issued under.
    ///   - previous: older (or not yet promoted) secrets, still accepted for the tokens issued under them.
    ///   - routingKey: at least 32 bytes that never change for the lifetime of the data (see the type's
    ///     documentation); `nil` derives it from the secret with the lowest version.
    /// - Throws: ``SessionStoreError`` `.invalidConfiguration` when two secrets share a version or the routing key
    ///   is shorter than 32 bytes.
    public init(current: Secret, previous: [Secret] = [], routingKey: [UInt8]? = nil) throws(SessionStoreError) {
        var byVersion: [UInt8: Secret] = [current.version: current]
        for secret in previous {
            guard byVersion[secret.version] == nil else {
                throw SessionStoreError(.invalidConfiguration, "two session secrets have version \(secret.version)")
            }
            byVersion[secret.version] = secret
        }
        self.current = current
        self.byVersion = byVersion
        if let routingKey {
            self.routingKey = try Secret(version: 0, secret: routingKey)
        } else {
            let lowest = byVersion[byVersion.keys.min()!]!
            var hmac = lowest.keyedHMAC
            hmac.update(data: Array("routing-key".utf8))
            self.routingKey = try Secret(version: 0, secret: Array(hmac.finalize()))
        }
    }

    /// Creates a keyring from the text form `"2:<secret>,1:<secret>"`: `version:secret` pairs separated by commas,
    /// the first one current (it signs new tokens), all of them accepted. A lone secret that does not start with
    /// `<version>:` is short for `1:<secret>`. Secrets in a list may not contain commas.
    /// - Throws: ``SessionStoreError`` `.invalidConfiguration` for a malformed list (the message never contains a
    ///   secret), a version outside 1…255, a duplicate version, or a secret shorter than 32 bytes.
    public init(secrets text: String, routingKey: String? = nil) throws(SessionStoreError) {
        func fail(_ message: String) -> SessionStoreError { SessionStoreError(.invalidConfiguration, message) }
        var secrets: [Secret] = []
        let entries = text.split(separator: ",", omittingEmptySubsequences: false)
        for (position, entry) in entries.enumerated() {
            let parts = entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            if entries.count == 1 && (parts.count == 1 || parts[0].isEmpty || !parts[0].allSatisfy(\.isNumber)) {
                secrets.append(try Secret(version: 1, secret: String(entry)))
                continue
            }
            guard parts.count == 2, let version = UInt8(parts[0]), version > 0 else {
                throw fail("session secret \(position + 1) is not 'version:secret' with a version in 1...255")
            }
            guard parts[1].utf8.count >= 32 else {
                throw fail("session secret version \(version) needs at least 32 bytes, got \(parts[1].utf8.count)")
            }
            secrets.append(try Secret(version: version, secret: String(parts[1])))
        }
        guard let first = secrets.first else { throw fail("no session secret given") }
        if let routingKey, routingKey.utf8.count < 32 {
            throw fail("the routing key needs at least 32 bytes, got \(routingKey.utf8.count)")
        }
        try self.init(current: first, previous: Array(secrets.dropFirst()), routingKey: routingKey.map { Array($0.utf8) })
    }

    /// The secret of a version, if the keyring holds it.
    package func secret(version: UInt8) -> Secret? { byVersion[version] }

    /// The versions this keyring accepts, the current one first.
    public var versions: [UInt8] {
        [current.version] + byVersion.keys.filter { $0 != current.version }.sorted(by: >)
    }

    /// A keyring with one random secret: for development and tests, where sessions need not outlive the process.
    public static func ephemeral() -> SessionKeyring {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return try! SessionKeyring(current: Secret(version: 1, secret: bytes))
    }

    /// The storage identity of a token, or `nil` when its key version is unknown (then it cannot be ours).
    package func identity(of token: SessionToken) -> SessionIdentity? {
        guard let secret = byVersion[token.keyVersion] else { return nil }
        // 160 bits of the HMAC: unique and unguessable, and short enough to keep keys in a small allocation.
        var hmac = secret.keyedHMAC
        hmac.update(data: token.bytes)
        let mac = hmac.finalize()
        // Encode from the digest's bytes directly: iterating the digest as a Sequence is slow.
        let id = mac.withUnsafeBytes { Base64URL.encode(UnsafeRawBufferPointer(rebasing: $0.prefix(20))) }
        return SessionIdentity(tag: Self.slotTag(token.routing), id: id)
    }

    /// The CSRF token of a session family: an HMAC of the id of the session that started the family, under the
    /// secret of that session's key version (so that every server computes the same while secrets rotate; the
    /// current secret if that version was dropped). Renewals keep the family, so in-flight requests keep a valid
    /// token; login and privilege changes start a new one. Redis stores nothing from which it could be computed.
    package func csrfToken(for family: SessionFamily) -> String {
        var hmac = (byVersion[family.keyVersion] ?? current).keyedHMAC
        hmac.update(data: Array(("csrf:" + family.id).utf8))
        return hmac.finalize().withUnsafeBytes { Base64URL.encode($0) }
    }

    /// A fresh token under the current secret, routed to `user`'s slot when given, else to a random slot.
    package func newToken(user: String?) -> SessionToken {
        SessionToken.generate(keyVersion: current.version, routing: user.map(routing(forUser:)) ?? Self.randomRouting())
    }

    /// The successor token of a rotation and the user it binds: in the user's slot when bound (or being bound at
    /// login), else in the slot of the current token.
    /// - Throws: `.alreadyRotated` when the session was reached through a renewed-away token: another request
    ///   rotated it already, and a rotation from here would kill the successor that request handed its client.
    package func successor(of session: Session, _ kind: RotationKind) throws(SessionStoreError) -> (token: SessionToken, user: String?) {
        guard let current = session.token, !session.reachedThroughGrace else {
            throw SessionStoreError(.alreadyRotated, "\(session.identity) was reached through a renewed-away token: it was already rotated by another request")
        }
        var user = session.user
        if case .login(let newUser) = kind { user = newUser }
        if let user { return (newToken(user: user), user) }
        return (newToken(sameSlotAs: current), nil)
    }

    /// A fresh token that keeps the routing (hash slot) of `token`.
    package func newToken(sameSlotAs token: SessionToken) -> SessionToken {
        SessionToken.generate(keyVersion: current.version, routing: Array(token.routing))
    }

    /// The routing bytes of a user's sessions: keyed with the routing key (so a cookie does not reveal its user),
    /// which survives secret rotation.
    package func routing(forUser user: String) -> [UInt8] {
        Array(routingMAC("user:" + user).prefix(SessionToken.routingRange.count))
    }

    /// The name of a user's index (160 bits of an HMAC under the routing key, base64url): the same on every server,
    /// and no dictionary of user names recovers the user from it.
    package func indexID(forUser user: String) -> String {
        Base64URL.encode(routingMAC("index:" + user).prefix(20))
    }

    private func routingMAC(_ text: String) -> [UInt8] {
        var hmac = routingKey.keyedHMAC
        hmac.update(data: Array(text.utf8))
        return Array(hmac.finalize())
    }

    package static func randomRouting() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<SessionToken.routingRange.count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The Redis hash tag for routing bytes: 48 bits of their FNV-1a hash, 8 characters. The routing bytes are
    /// random or already keyed (they only spread sessions over hash slots), so a fast non-cryptographic hash
    /// suffices; it keeps the token's own bytes out of Redis and is the same on every server.
    package static func slotTag(_ routing: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in routing {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Base64URL.encode((0..<6).map { UInt8(truncatingIfNeeded: hash >> (8 * $0)) })
    }

    /// The hash tag of a user's sessions and index.
    package func slotTag(forUser user: String) -> String {
        Self.slotTag(routing(forUser: user))
    }

    /// A short fingerprint of secret bytes, safe for logs.
    package static func fingerprint(of bytes: [UInt8]) -> String {
        String(SHA256.hash(data: bytes).withUnsafeBytes { Base64URL.encode($0) }.prefix(8))
    }
}

/// Where a session lives: its hash-slot tag and its HMAC-derived identifier (never the token).
public struct SessionIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The hash tag shared by every key of this session (and of its user's index).
    public let tag: String
    /// `base64url(HMAC-SHA-256(secret, token))`, truncated to 160 bits (27 characters).
    public let id: String

    package init(tag: String, id: String) {
        self.tag = tag
        self.id = id
    }

    /// A prefix short enough for logs.
    public var description: String { "session \(id.prefix(8))" }

    /// An opaque handle for listing a user's sessions: not the token, not the storage key. (The Redis scripts
    /// compute the same value with `redis.sha1hex`.)
    public var handle: String { Self.handle(forID: id) }

    package static func handle(forID id: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array(("handle:" + id).utf8))
        return String(digest.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined().prefix(20))
    }
}
