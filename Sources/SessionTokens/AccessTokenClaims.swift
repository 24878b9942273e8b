// AccessTokenClaims: the registered claims every access token carries, and nothing else.

/// The claims of an access token (a JWT). Times are whole seconds since 1970 (NumericDate, RFC 7519 §2).
public struct AccessTokenClaims: Sendable, Hashable {
    /// `iss`: who issued the token; verification requires it to be exactly the configured issuer.
    public var issuer: String
    /// `aud`: who the token is for; verification requires exactly the configured audience (a single string).
    public var audience: String
    /// `sub`: the user.
    public var subject: String
    /// `iat`: when it was issued.
    public var issuedAt: Int64
    /// `nbf`: not valid before this time.
    public var notBefore: Int64
    /// `exp`: not valid from this time on.
    public var expiresAt: Int64
    /// `jti`: the token's own unique id.
    public var tokenID: String
    /// `sid`: the token family (one login's chain of refresh tokens), which revocation acts on.
    public var family: String

    /// Creates claims.
    public init(
        issuer: String, audience: String, subject: String, issuedAt: Int64, notBefore: Int64, expiresAt: Int64,
        tokenID: String, family: String
    ) {
        self.issuer = issuer
        self.audience = audience
        self.subject = subject
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.tokenID = tokenID
        self.family = family
    }
}
