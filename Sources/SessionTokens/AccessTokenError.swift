// AccessTokenError: why an access token, or a signing key, was refused.

/// Why an access token was refused (or a key could not be used). Every reason maps to a 401 with
/// `WWW-Authenticate: Bearer error="invalid_token"` (``invalidKey`` is a configuration error at start-up).
public struct AccessTokenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of refusal. New reasons may be added.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        fileprivate let name: String

        /// Longer than the configured limit: refused before any parsing.
        public static let tooLarge = Reason(name: "tooLarge")
        /// Not three base64url segments of JSON objects, or a header or claim of the wrong type.
        public static let malformed = Reason(name: "malformed")
        /// `alg` is not the one algorithm bound to the key named by `kid` (`none` included), or the header asks
        /// for something we never do (`jku`, `x5u`, `jwk`, `crit`…).
        public static let unsupportedAlgorithm = Reason(name: "unsupportedAlgorithm")
        /// No key has that `kid` (or there is no `kid`).
        public static let unknownKey = Reason(name: "unknownKey")
        /// The signature does not verify.
        public static let badSignature = Reason(name: "badSignature")
        /// `exp` is past (beyond the leeway).
        public static let expired = Reason(name: "expired")
        /// `nbf` (or `iat`) is in the future (beyond the leeway).
        public static let notYetValid = Reason(name: "notYetValid")
        /// `iss` is not exactly the configured issuer.
        public static let wrongIssuer = Reason(name: "wrongIssuer")
        /// `aud` is not exactly the configured audience.
        public static let wrongAudience = Reason(name: "wrongAudience")
        /// A required claim is missing or has the wrong type.
        public static let invalidClaims = Reason(name: "invalidClaims")
        /// The token's family was revoked (logout, logout everywhere, refresh-token reuse).
        public static let revoked = Reason(name: "revoked")
        /// A key could not be read or used (PEM, size): a configuration error.
        public static let invalidKey = Reason(name: "invalidKey")

        public var description: String { name }
    }

    /// Why.
    public let reason: Reason
    /// Details for logs (never the token).
    public let message: String

    /// Creates an error.
    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "AccessTokenError.\(reason): \(message)" }
}
