// AccessTokenCodec: signs access tokens (compact JWS) and verifies them strictly, with a cache of verified tokens.

import Crypto

/// Signs and strictly verifies access tokens (compact JWS, RFC 7515/7519).
///
/// Verification refuses, in this order: a token over ``Configuration/maxTokenBytes`` (before any parsing), a
/// character outside base64url and `.`, anything but three canonical unpadded base64url segments with JSON
/// objects in the first two, an `alg` we do not implement (`none` included) or a header asking for `jku`, `x5u`,
/// `jwk`, `x5c` or `crit` (nothing is ever fetched), a `kid` that is not exactly one of the key set's, an `alg`
/// other than the one bound to that key, a `typ` other than `JWT` or `at+jwt`, a bad signature, a missing or
/// mistyped claim, an issuer or audience other than the configured ones (byte for byte), and a token outside its
/// validity (`exp`, `nbf`, `iat`, with the leeway).
///
/// Tokens that pass are cached (by exact text, 8192 at most) with their claims: presented again, only issuer,
/// audience and times are checked. Failures are never cached.
///
/// ```swift
/// let codec = try AccessTokenCodec(keys: .derived(from: keyring),
///                                  configuration: .init(issuer: "https://id.example", audience: "api"))
/// let token = codec.sign(claims)
/// let verified = try codec.verify(token, now: Int64(Date().timeIntervalSince1970))
/// ```
public struct AccessTokenCodec: Sendable {
    /// Issuer, audience, leeway and size limit.
    public struct Configuration: Sendable {
        /// `iss` of every token signed, and the only one accepted.
        public var issuer: String
        /// `aud` of every token signed, and the only one accepted.
        public var audience: String
        /// Clock skew tolerated on `exp`, `nbf` and `iat`: default 10 s, at most 60 s.
        public var leeway: Duration
        /// Tokens longer than this are refused before any parsing: default 4096 bytes.
        public var maxTokenBytes: Int

        /// Creates a configuration.
        public init(issuer: String, audience: String, leeway: Duration = .seconds(10), maxTokenBytes: Int = 4096) {
            self.issuer = issuer
            self.audience = audience
            self.leeway = leeway
            self.maxTokenBytes = maxTokenBytes
        }
    }

    /// How many verified tokens a codec remembers.
    static let cacheCapacity = 8192

    /// The keys.
    public let keys: JWTKeySet
    /// The settings.
    public let configuration: Configuration
    /// The leeway in whole seconds.
    let leewaySeconds: Int64
    let cache: VerifiedTokenCache

    /// Creates a codec.
    /// - Parameters:
    ///   - keys: the signing key and the keys that verify.
    ///   - configuration: issuer, audience, leeway and size limit.
    /// - Throws: `.invalidKey` for a leeway outside 0…60 s, a limit under 256 bytes, or an empty issuer or audience.
    public init(keys: JWTKeySet, configuration: Configuration) throws(AccessTokenError) {
        guard configuration.leeway >= .zero, configuration.leeway <= .seconds(60) else {
            throw AccessTokenError(.invalidKey, "the access-token leeway must be within 0...60 s")
        }
        guard configuration.maxTokenBytes >= 256 else {
            throw AccessTokenError(.invalidKey, "the access-token size limit must be at least 256 bytes")
        }
        guard !configuration.issuer.isEmpty, !configuration.audience.isEmpty else {
            throw AccessTokenError(.invalidKey, "the access-token issuer and audience must not be empty")
        }
        self.keys = keys
        self.configuration = configuration
        self.leewaySeconds = configuration.leeway.components.seconds
        self.cache = VerifiedTokenCache(capacity: Self.cacheCapacity)
    }

    /// Signs claims with the key set's signing key.
    ///
    /// The header is `{"alg","typ":"JWT","kid"}`; the payload has `iss`, `aud`, `sub`, `iat`, `nbf`, `exp`, `jti`
    /// and `sid`, taken from `claims` as they are (the codec does not replace `iss` and `aud`).
    /// - Parameter claims: the claims.
    /// - Returns: the compact JWS.
    public func sign(_ claims: AccessTokenClaims) -> String {
        let key = keys.signingKey
        var payload = JSONText(capacity: 160 + claims.subject.utf8.count + claims.issuer.utf8.count)
        payload.add("iss", claims.issuer)
        payload.add("aud", claims.audience)
        payload.add("sub", claims.subject)
        payload.add("iat", claims.issuedAt)
        payload.add("nbf", claims.notBefore)
        payload.add("exp", claims.expiresAt)
        payload.add("jti", claims.tokenID)
        payload.add("sid", claims.family)
        let payloadBytes = payload.finish()
        var token = [UInt8]()
        token.reserveCapacity(key.encodedHeader.utf8.count + payloadBytes.count * 4 / 3 + 96)
        token.append(contentsOf: key.encodedHeader.utf8)
        JWTBase64URL.append(payloadBytes, to: &token)
        let signature = key.signature(of: token)
        token.append(UInt8(ascii: "."))
        JWTBase64URL.append(signature, to: &token)
        return String(decoding: token, as: UTF8.self)
    }

    /// Verifies a token at `now` and returns its claims.
    /// - Parameters:
    ///   - token: the compact JWS (the bearer token).
    ///   - now: the time, in seconds since 1970.
    /// - Throws: ``AccessTokenError`` with the reason (see the type's documentation); never containing the token.
    public func verify(_ token: Substring, now: Int64) throws(AccessTokenError) -> AccessTokenClaims {
        guard token.utf8.count <= configuration.maxTokenBytes else {
            throw AccessTokenError(.tooLarge, "the access token is longer than \(configuration.maxTokenBytes) bytes")
        }
        // Only base64url and dots from here on: the cache's String keys then compare byte for byte.
        guard token.utf8.allSatisfy({ JWTBase64URL.isAlphabet($0) || $0 == UInt8(ascii: ".") }) else {
            throw AccessTokenError(.malformed, "the access token has a character outside base64url")
        }
        let text = String(token)
        if let claims = cache.claims(for: text) {
            try check(claims, now: now)
            return claims
        }
        let claims = try verifiedClaims(token)
        try check(claims, now: now)
        cache.insert(text, claims)
        return claims
    }

    /// Verifies a token at `now` and returns its claims (see the `Substring` overload).
    public func verify(_ token: String, now: Int64) throws(AccessTokenError) -> AccessTokenClaims {
        try verify(token[...], now: now)
    }

    /// The checks run on every verification, cached or not: issuer, audience (byte for byte), and times.
    func check(_ claims: AccessTokenClaims, now: Int64) throws(AccessTokenError) {
        guard claims.issuer.utf8.elementsEqual(configuration.issuer.utf8) else {
            throw AccessTokenError(.wrongIssuer, "the access token's issuer is not the configured one")
        }
        guard claims.audience.utf8.elementsEqual(configuration.audience.utf8) else {
            throw AccessTokenError(.wrongAudience, "the access token's audience is not the configured one")
        }
        let (earliest, underflow) = now.subtractingReportingOverflow(leewaySeconds)
        guard claims.expiresAt > (underflow ? .min : earliest) else {
            throw AccessTokenError(.expired, "the access token has expired")
        }
        let (latest, overflow) = now.addingReportingOverflow(leewaySeconds)
        guard overflow || (claims.notBefore <= latest && claims.issuedAt <= latest) else {
            throw AccessTokenError(.notYetValid, "the access token is not valid yet")
        }
    }
}
