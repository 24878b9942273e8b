// AccessTokenCodec: signs access tokens and verifies them strictly (STUB: replaced by the JWT implementation).

import Crypto

/// Signs and strictly verifies access tokens (compact JWS).
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

    /// The keys.
    public let keys: JWTKeySet
    /// The settings.
    public let configuration: Configuration

    /// Creates a codec. - Throws: `.invalidKey` for a leeway outside 0…60 s or a limit under 256 bytes.
    public init(keys: JWTKeySet, configuration: Configuration) throws(AccessTokenError) {
        self.keys = keys
        self.configuration = configuration
    }

    /// Signs claims with the key set's signing key; returns the compact JWS.
    public func sign(_ claims: AccessTokenClaims) -> String { fatalError("stub") }

    /// Verifies a token at `now` (seconds since 1970) and returns its claims.
    public func verify(_ token: Substring, now: Int64) throws(AccessTokenError) -> AccessTokenClaims { fatalError("stub") }
}
