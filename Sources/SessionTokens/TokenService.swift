// TokenService: access tokens and refresh-token families together: issue, refresh, verify, revoke.

import Foundation
import Logging
import Metrics
import SessionStore

/// Bearer-token sessions over a ``TokenFamilyStore``: short-lived signed access tokens (JWT) that can still be
/// revoked, and rotating refresh tokens with reuse detection.
///
/// - ``issue(user:)`` starts a family (a login) and returns an access token and the family's first refresh token.
/// - ``refresh(_:)`` spends a refresh token for a new pair; reuse of a spent one revokes the family.
/// - ``verify(_:)`` checks an access token with **no store round trip**: the signature and claims, then the
///   instance's ``RevocationList``, which ``followRevocations()`` keeps current. A revocation recorded by the store
///   is honoured on every instance within the list's `maxStaleness` (1 s); a list that cannot be kept current fails
///   closed (``TokenError/unavailable(_:)``). A revocation the store cannot record (Redis unreachable) fails with
///   ``TokenError/unavailable(_:)`` and leaves the family marked, so that repeating it completes it.
///
/// ```swift
/// let tokens = try TokenService(store: families, codec: codec)
/// // run `tokens` as a Service beside the app (it follows the revocations; until then verify fails closed)
/// let pair = try await tokens.issue(user: "alice")        // POST /token
/// let claims = try tokens.verify(pair.accessToken)        // every bearer request
/// let next = try await tokens.refresh(pair.refreshToken)  // POST /token/refresh
/// ```
public struct TokenService: Sendable {
    /// The refresh-token families.
    public let store: any TokenFamilyStore
    /// Signs and verifies access tokens.
    public let codec: AccessTokenCodec
    /// How long an access token lives.
    public let accessTokenLifetime: Duration
    /// The families revoked recently, as this instance knows them.
    public let revocations: RevocationList
    /// Where family lifecycle events go (created, logged in, rotated by refresh, destroyed, suspected theft);
    /// share the session store's (``SessionConfiguration/events``) to observe both on one stream.
    public let events: SessionEvents
    let logger: Logger

    /// Creates the service.
    /// - Parameters:
    ///   - store: the refresh-token families.
    ///   - codec: the access-token keys and checks.
    ///   - accessTokenLifetime: default 5 minutes; whole seconds, at least 1 s, and at most the store's
    ///     ``TokenFamilyConfiguration/revocationHorizon`` minus the codec's leeway (a revocation must be remembered
    ///     until every access token of the family has expired).
    ///   - maxStaleness: how old the revocation list may be before verification fails closed. Default: 1 s.
    ///   - events: where family lifecycle events are reported (default: a bus of its own).
    ///   - logger: never sees a token (only short fingerprints).
    /// - Throws: ``SessionStoreError`` `.invalidConfiguration` when the lifetime is outside those bounds.
    public init(
        store: any TokenFamilyStore, codec: AccessTokenCodec, accessTokenLifetime: Duration = .seconds(300),
        maxStaleness: Duration = .seconds(1), events: SessionEvents = SessionEvents(), logger: Logger = Logger(label: "tokens")
    ) throws(SessionStoreError) {
        guard accessTokenLifetime >= .seconds(1) else {
            throw SessionStoreError(.invalidConfiguration, "the access-token lifetime must be at least 1 s")
        }
        guard accessTokenLifetime + codec.configuration.leeway <= store.configuration.revocationHorizon else {
            throw SessionStoreError(.invalidConfiguration,
                                    "the access-token lifetime plus the leeway (\(accessTokenLifetime + codec.configuration.leeway)) exceeds the store's revocation horizon (\(store.configuration.revocationHorizon)): revocations would be forgotten before the tokens expire")
        }
        self.store = store
        self.codec = codec
        self.accessTokenLifetime = accessTokenLifetime
        self.revocations = RevocationList(horizon: accessTokenLifetime + codec.configuration.leeway, maxStaleness: maxStaleness)
        self.events = events
        self.logger = logger
    }

    /// An access token, its lifetime, and the refresh token that goes with it.
    public struct TokenPair: Sendable {
        /// The signed access token (a JWT).
        public let accessToken: String
        /// Its lifetime in seconds (`expires_in`).
        public let expiresIn: Int
        /// The refresh token.
        public let refreshToken: String
        /// When the refresh token's family ends (its absolute expiry), in milliseconds since 1970: e.g. a cookie's
        /// `Max-Age`.
        public let refreshTokenExpiresAt: Int64
        /// The access token's claims (`sid` is the family).
        public let claims: AccessTokenClaims
    }

    /// Starts a family for `user` (after the caller checked the credentials).
    /// - Throws: ``TokenError/unavailable(_:)``.
    public func issue(user: String) async throws(TokenError) -> TokenPair {
        let grant: RefreshGrant
        do { grant = try await store.issue(user: user) } catch { throw TokenError.wrap(error) }
        report(.created, grant.family.id, user: user)
        report(.loggedIn, grant.family.id, user: user)
        return pair(for: grant)
    }

    /// Spends a refresh token for a new pair.
    /// - Throws: ``TokenError/invalidGrant`` (spent, expired, revoked, unknown; a spent one after the grace also
    ///   revokes its family, counted in `token_refresh_reuse_total` and logged), ``TokenError/unavailable(_:)``.
    public func refresh(_ refreshToken: String) async throws(TokenError) -> TokenPair {
        let outcome: RefreshOutcome
        do { outcome = try await store.refresh(refreshToken) } catch { throw TokenError.wrap(error) }
        switch outcome {
        case .rotated(let grant):
            report(.rotated(.refresh), grant.family.id, user: grant.family.user)
            return pair(for: grant)
        case .reused(let family):
            revocations.revoke([family.id])
            report(.suspectedTheft, family.id, user: family.user)
            report(.destroyed(.revocation), family.id, user: family.user)
            Counter(label: "token_refresh_reuse_total").increment()
            logger.warning("a spent refresh token was presented again: its family is revoked (possible theft)", metadata: [
                "family": "\(family.id.prefix(8))", "token": "\(SessionKeyring.fingerprint(of: Array(refreshToken.utf8)))",
            ])
            throw .invalidGrant
        case .invalid:
            throw .invalidGrant
        }
    }

    /// Verifies a bearer access token: signature, algorithm, issuer, audience, times, and the revocation list.
    /// No store round trip.
    /// - Throws: ``TokenError/invalidToken(_:)``, or ``TokenError/unavailable(_:)`` when the revocation list is stale.
    public func verify(_ accessToken: some StringProtocol) throws(TokenError) -> AccessTokenClaims {
        let claims: AccessTokenClaims
        do {
            claims = try codec.verify(Substring(accessToken), now: Int64(Date().timeIntervalSince1970))
        } catch {
            throw .invalidToken(error)
        }
        switch revocations.status(of: claims.family) {
        case .valid: return claims
        case .revoked: throw .invalidToken(AccessTokenError(.revoked, "the token's family was revoked"))
        case .unknown: throw .unavailable("the revocation list is stale: cannot vouch for any token")
        }
    }

    /// Revokes a token's family (RFC 7009): a refresh token, or an access token that verifies (signature and claims;
    /// an already revoked or expired one is a no-op). Anything else is ignored: revocation always "succeeds".
    /// - Throws: ``TokenError/unavailable(_:)`` only.
    public func revoke(token: String) async throws(TokenError) {
        if SessionToken(token) != nil {
            do {
                if let family = try await store.revoke(refreshToken: token) {
                    revocations.revoke([family.id])
                    report(.destroyed(.revocation), family.id, user: family.user)
                }
            } catch {
                throw TokenError.wrap(error)
            }
            return
        }
        guard let claims = try? codec.verify(Substring(token), now: Int64(Date().timeIntervalSince1970)) else { return }
        do {
            if try await store.revokeFamily(claims.family, ofUser: claims.subject) {
                revocations.revoke([claims.family])
                report(.destroyed(.revocation), claims.family, user: claims.subject)
            }
        } catch {
            throw TokenError.wrap(error)
        }
    }

    /// Revokes families of a user by their ids, together (e.g. those a cookie session minted, at its logout);
    /// returns how many the user had.
    @discardableResult
    public func revokeFamilies(_ ids: [String], ofUser user: String) async throws(TokenError) -> Int {
        do {
            let revoked = try await store.revokeFamilies(ids, ofUser: user)
            revocations.revoke(revoked)
            for id in revoked { report(.destroyed(.revocation), id, user: user) }
            return revoked.count
        } catch {
            throw TokenError.wrap(error)
        }
    }

    /// Revokes every family of a user (log out everywhere, password change); returns how many.
    @discardableResult
    public func revokeAll(ofUser user: String) async throws(TokenError) -> Int {
        do {
            let ended = try await store.revokeFamilies(ofUser: user)
            revocations.revoke(ended)
            for id in ended { report(.destroyed(.logoutEverywhere), id, user: user) }
            return ended.count
        } catch {
            throw TokenError.wrap(error)
        }
    }

    /// Reports a family event.
    private func report(_ kind: SessionEvent.Kind, _ family: String, user: String) {
        events.emit(SessionEvent(kind, .tokenFamily(id: family), user: user))
    }

    /// Keeps this instance's revocation list current until the task is cancelled (run it as a service).
    public func followRevocations() async {
        await store.followRevocations(into: revocations)
    }

    /// Signs an access token for a family.
    func pair(for grant: RefreshGrant) -> TokenPair {
        let now = Int64(Date().timeIntervalSince1970)
        let lifetime = accessTokenLifetime.components.seconds
        let claims = AccessTokenClaims(
            issuer: codec.configuration.issuer, audience: codec.configuration.audience, subject: grant.family.user,
            issuedAt: now, notBefore: now, expiresAt: now + lifetime, tokenID: Self.newTokenID(), family: grant.family.id)
        return TokenPair(accessToken: codec.sign(claims), expiresIn: Int(lifetime), refreshToken: grant.refreshToken,
                         refreshTokenExpiresAt: grant.family.expiresAt, claims: claims)
    }

    /// A `jti`: 96 bits from the CSPRNG.
    static func newTokenID() -> String { randomID(bytes: 12) }

}
