// TokenFamilyStore: the protocol of refresh-token families (issue, rotate with reuse detection, revoke, list).

import SessionStore

/// Stores refresh-token families: one family per login (a `POST /token`), a chain of refresh tokens in which each
/// use spends the token and issues its successor.
///
/// Semantics every implementation shares (the conformance tests check them):
/// - Refresh tokens are opaque 256-bit values from the CSPRNG; the store keeps only a keyed hash of each.
/// - A family has an absolute lifetime (never extended) and an idle lifetime (each refresh renews it).
/// - ``refresh(_:)`` spends the presented token and issues its successor atomically. Presenting the token spent
///   last again within the grace returns the same successor (two concurrent refreshes of one client both succeed);
///   presenting any spent token later is reuse (RFC 9700 §4.14): the whole family is revoked.
/// - A user has at most ``TokenFamilyConfiguration/maxFamiliesPerUser`` families; the oldest is revoked beyond.
/// - Every revocation (reuse, logout, eviction) is recorded in the revocation log that
///   ``followRevocations(into:)`` delivers to each instance's ``RevocationList``.
public protocol TokenFamilyStore: Sendable {
    /// Lifetimes, grace and limit.
    var configuration: TokenFamilyConfiguration { get }

    /// Starts a family for `user` and returns its first refresh token.
    /// - Throws: ``SessionStoreError`` `.unavailable` (fail closed).
    func issue(user: String) async throws(SessionStoreError) -> RefreshGrant

    /// Spends a refresh token and returns its successor; see ``RefreshOutcome``.
    /// - Throws: ``SessionStoreError`` `.unavailable`.
    func refresh(_ refreshToken: String) async throws(SessionStoreError) -> RefreshOutcome

    /// Revokes the family of a refresh token (RFC 7009); `nil` when the token designates no live family.
    func revoke(refreshToken: String) async throws(SessionStoreError) -> TokenFamily?

    /// Revokes families of a user by their ids, together; returns the ids of those the user had (others are ignored).
    @discardableResult
    func revokeFamilies(_ ids: [String], ofUser user: String) async throws(SessionStoreError) -> [String]

    /// Revokes every family of a user; returns their ids.
    @discardableResult
    func revokeFamilies(ofUser user: String) async throws(SessionStoreError) -> [String]

    /// The live families of a user, oldest first.
    func families(ofUser user: String) async throws(SessionStoreError) -> [TokenFamily]

    /// Keeps `list` current until the task is cancelled: every family revoked anywhere is added to it, and the list
    /// is marked fresh each time the store confirms it has nothing older to deliver (see ``RevocationList``).
    func followRevocations(into list: RevocationList) async
}

extension TokenFamilyStore {
    /// Revokes one family of a user by its id; `false` when there is none.
    @discardableResult
    public func revokeFamily(_ id: String, ofUser user: String) async throws(SessionStoreError) -> Bool {
        try await !revokeFamilies([id], ofUser: user).isEmpty
    }
}

/// A family: one login's chain of refresh tokens, and the access tokens minted from it (their `sid`).
public struct TokenFamily: Sendable, Hashable {
    /// The family id (the `sid` claim): random, not derived from any token.
    public let id: String
    /// The user it belongs to.
    public let user: String
    /// When it started, in milliseconds since 1970.
    public let createdAt: Int64
    /// Its absolute expiry, in milliseconds since 1970.
    public let expiresAt: Int64

    /// A fresh family id: 128 bits from the CSPRNG, base64url.
    package static func newID() -> String { randomID(bytes: 16) }

    /// Creates a family value.
    public init(id: String, user: String, createdAt: Int64, expiresAt: Int64) {
        self.id = id
        self.user = user
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A refresh token handed to a client, and its family.
public struct RefreshGrant: Sendable {
    /// The family.
    public let family: TokenFamily
    /// The refresh token itself: give it to the client, never log it.
    public let refreshToken: String

    /// Creates a grant.
    public init(family: TokenFamily, refreshToken: String) {
        self.family = family
        self.refreshToken = refreshToken
    }
}

/// What presenting a refresh token did.
public enum RefreshOutcome: Sendable {
    /// The token was spent and this successor issued (or, within the grace, the successor issued before).
    case rotated(RefreshGrant)
    /// A spent token was presented after the grace: the family was revoked (possible theft).
    case reused(TokenFamily)
    /// Malformed, unknown, expired or revoked: nothing changed.
    case invalid
}

/// The lifetimes, grace and limit of refresh-token families.
public struct TokenFamilyConfiguration: Sendable {
    /// A family's absolute lifetime from its login (never extended). Default: 720 h.
    public var absoluteLifetime: Duration
    /// A family ends when no refresh happened for this long. Default: 14 days (capped by the absolute lifetime).
    public var idleLifetime: Duration
    /// How long the token spent last still returns the same successor. Default: 2 s.
    public var grace: Duration
    /// Most families per user; the oldest is revoked beyond. Default: 100.
    public var maxFamiliesPerUser: Int
    /// How long a revocation must be remembered: the access-token lifetime plus the verification leeway (every
    /// access token of a revoked family has expired by then). Default: 5 min + 10 s.
    public var revocationHorizon: Duration

    /// Creates a configuration.
    public init(
        absoluteLifetime: Duration = .seconds(720 * 3600), idleLifetime: Duration = .seconds(14 * 24 * 3600),
        grace: Duration = .seconds(2), maxFamiliesPerUser: Int = 100, revocationHorizon: Duration = .seconds(310)
    ) {
        self.absoluteLifetime = absoluteLifetime
        self.idleLifetime = idleLifetime
        self.grace = grace
        self.maxFamiliesPerUser = maxFamiliesPerUser
        self.revocationHorizon = revocationHorizon
    }

    /// Checks the values. - Throws: ``SessionStoreError`` `.invalidConfiguration`.
    public func validate() throws(SessionStoreError) {
        func fail(_ message: String) -> SessionStoreError { SessionStoreError(.invalidConfiguration, message) }
        guard absoluteLifetime >= .seconds(1) else { throw fail("the refresh-token lifetime must be at least 1 s") }
        guard idleLifetime >= .seconds(1) else { throw fail("the refresh-token idle lifetime must be at least 1 s") }
        guard grace >= .zero, grace <= .seconds(60) else { throw fail("the refresh grace must be within 0...60 s") }
        guard maxFamiliesPerUser >= 1 else { throw fail("at least one token family per user must be allowed") }
        guard revocationHorizon >= .seconds(1) else { throw fail("the revocation horizon must be at least 1 s") }
    }
}

/// `bytes` bytes from the system CSPRNG (getrandom(2) on Linux), base64url: family ids and `jti`s.
func randomID(bytes count: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return Base64URL.encode((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
}
