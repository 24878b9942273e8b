// JWTKeySet: the signing key and the verification keys by kid (STUB: replaced by the JWT implementation).

import Crypto
import SessionStore

/// One key and the one algorithm bound to it.
public struct JWTSigningKey: Sendable {
    /// The algorithms we sign and verify with.
    public enum Algorithm: String, Sendable { case eddsa = "EdDSA", es256 = "ES256", hs256 = "HS256" }
    /// `kid`.
    public let keyID: String
    /// The one algorithm this key is used with.
    public let algorithm: Algorithm

    /// Reads a PEM private key (stub).
    public init(pem: String, keyID: String? = nil) throws(AccessTokenError) { fatalError("stub") }
}

/// The key that signs and every key that verifies, by `kid`.
public struct JWTKeySet: Sendable {
    /// Signs new tokens.
    public let signingKey: JWTSigningKey

    /// Creates a key set. - Throws: `.invalidKey` when two keys share a `kid`.
    public init(signingKey: JWTSigningKey, verificationKeys: [JWTSigningKey] = []) throws(AccessTokenError) {
        self.signingKey = signingKey
    }

    /// Ed25519 key pairs derived from the keyring, one per secret version; the current version signs.
    public static func derived(from keyring: SessionKeyring) -> JWTKeySet { fatalError("stub") }

    /// `{"keys": [...]}`: the public keys as a JWK Set (never an HMAC key).
    public func jwks() -> [UInt8] { fatalError("stub") }
}
