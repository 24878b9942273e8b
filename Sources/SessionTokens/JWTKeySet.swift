// JWTKeySet: the signing key and the verification keys by kid, keys derived from the keyring, and the JWKS.

import Crypto
import SessionStore

/// The key that signs and every key that verifies, by `kid`.
///
/// ```swift
/// let keys = JWTKeySet.derived(from: keyring)                       // Ed25519, one key per secret version
/// let rotated = try JWTKeySet(signingKey: newKey, verificationKeys: [oldKey])
/// ```
public struct JWTKeySet: Sendable {
    /// Signs new tokens.
    public let signingKey: JWTSigningKey
    /// Every key that verifies (the signing key included), by exact `kid`.
    let byKeyID: [String: JWTSigningKey]
    /// The keys in order: the signing key first.
    let ordered: [JWTSigningKey]

    /// The `purpose` of the HKDF derivation of a keyring's signing key: the version is part of it, so that one
    /// secret reused under two versions still gives two keys.
    static func derivationPurpose(version: UInt8) -> String { "jwt-signing-ed25519:v\(version)" }

    /// Creates a key set.
    /// - Parameters:
    ///   - signingKey: signs new tokens (and verifies them).
    ///   - verificationKeys: older keys still accepted for the tokens they signed.
    /// - Throws: `.invalidKey` when two keys share a `kid`.
    public init(signingKey: JWTSigningKey, verificationKeys: [JWTSigningKey] = []) throws(AccessTokenError) {
        var byKeyID: [String: JWTSigningKey] = [signingKey.keyID: signingKey]
        for key in verificationKeys {
            guard byKeyID[key.keyID] == nil else { throw AccessTokenError(.invalidKey, "two JWT keys share a kid") }
            byKeyID[key.keyID] = key
        }
        self.signingKey = signingKey
        self.byKeyID = byKeyID
        self.ordered = [signingKey] + verificationKeys
    }

    /// Ed25519 keys derived from the keyring with HKDF-SHA-256 (purpose `jwt-signing-ed25519:v<version>`), one per secret
    /// version, with `kid` `sess-v<version>`: the current version signs, the others verify. Every server with the
    /// same secrets derives the same keys, so no key needs distributing.
    public static func derived(from keyring: SessionKeyring) -> JWTKeySet {
        let keys = keyring.versions.compactMap { version in
            keyring.secret(version: version).map { derivedKey(from: $0) }
        }
        // Versions are unique in a keyring, hence so are the kids.
        return try! JWTKeySet(signingKey: keys[0], verificationKeys: Array(keys.dropFirst()))
    }

    /// The Ed25519 key of one secret: the 32 derived bytes are the private key's seed.
    static func derivedKey(from secret: SessionKeyring.Secret) -> JWTSigningKey {
        let seed = secret.derivedKey(purpose: derivationPurpose(version: secret.version))
        // Any 32 bytes are a valid Ed25519 seed.
        let key = try! seed.withUnsafeBytes { try Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
        return .ed25519(key, keyID: "sess-v\(secret.version)")
    }

    /// `{"keys":[...]}`: the public keys as a JWK Set (RFC 7517 §5), the signing key first; HMAC keys are never
    /// published.
    public func jwks() -> [UInt8] {
        var bytes = Array(#"{"keys":["#.utf8)
        var first = true
        for key in ordered {
            guard let jwk = key.publicJWK() else { continue }
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            bytes.append(contentsOf: jwk)
        }
        bytes.append(contentsOf: "]}".utf8)
        return bytes
    }
}
