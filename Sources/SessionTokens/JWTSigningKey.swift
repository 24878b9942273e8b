// JWTSigningKey: one signing key, the one algorithm bound to it, and its kid.

import Crypto
import Foundation

/// One key, the one algorithm it is used with, and its `kid`.
///
/// A key is bound to a single algorithm: a token naming this key is verified with that algorithm only, whatever
/// its `alg` header asks (a different `alg` is refused), which rules out algorithm confusion.
///
/// ```swift
/// let key = JWTSigningKey.ed25519(Curve25519.Signing.PrivateKey(), keyID: "2025-01")
/// let fromFile = try JWTSigningKey(pem: pemText)   // kid: the key's JWK thumbprint
/// ```
public struct JWTSigningKey: Sendable {
    /// The algorithms we sign and verify with.
    public enum Algorithm: String, Sendable { case eddsa = "EdDSA", es256 = "ES256", hs256 = "HS256" }

    /// The key material, with the public half computed once.
    enum Material: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey, Curve25519.Signing.PublicKey)
        case es256(P256.Signing.PrivateKey, P256.Signing.PublicKey)
        case hs256(SymmetricKey)
    }

    /// `kid`.
    public let keyID: String
    /// The one algorithm this key is used with.
    public let algorithm: Algorithm
    let material: Material
    /// The base64url JOSE header of the tokens this key signs, followed by the `.` separator (encoded once).
    let encodedHeader: String

    init(material: Material, keyID: String) {
        self.material = material
        self.keyID = keyID
        switch material {
        case .ed25519: algorithm = .eddsa
        case .es256: algorithm = .es256
        case .hs256: algorithm = .hs256
        }
        var header = JSONText(capacity: 64 + keyID.utf8.count)
        header.add("alg", algorithm.rawValue)
        header.add("typ", "JWT")
        header.add("kid", keyID)
        encodedHeader = JWTBase64URL.encode(header.finish()) + "."
    }

    /// An Ed25519 key (`alg` EdDSA).
    /// - Parameters:
    ///   - key: the private key.
    ///   - keyID: its `kid`.
    public static func ed25519(_ key: Curve25519.Signing.PrivateKey, keyID: String) -> JWTSigningKey {
        JWTSigningKey(material: .ed25519(key, key.publicKey), keyID: keyID)
    }

    /// A P-256 key (`alg` ES256).
    /// - Parameters:
    ///   - key: the private key.
    ///   - keyID: its `kid`.
    public static func es256(_ key: P256.Signing.PrivateKey, keyID: String) -> JWTSigningKey {
        JWTSigningKey(material: .es256(key, key.publicKey), keyID: keyID)
    }

    /// An HMAC-SHA-256 key (`alg` HS256): only ever used when configured explicitly, and never published in the JWKS.
    /// - Parameters:
    ///   - secret: at least 32 bytes.
    ///   - keyID: its `kid`.
    /// - Throws: `.invalidKey` when the secret is shorter than 32 bytes.
    public static func hs256(_ secret: SymmetricKey, keyID: String) throws(AccessTokenError) -> JWTSigningKey {
        guard secret.bitCount >= 256 else {
            throw AccessTokenError(.invalidKey, "an HS256 secret needs at least 32 bytes, got \(secret.bitCount / 8)")
        }
        return JWTSigningKey(material: .hs256(secret), keyID: keyID)
    }

    /// The signature of `input` (EdDSA: 64 bytes; ES256: r‖s, 64 bytes; HS256: 32 bytes).
    func signature(of input: [UInt8]) -> [UInt8] {
        switch material {
        case .ed25519(let key, _):
            // Ed25519 signing fails only on an allocation failure inside BoringSSL.
            return Array(try! key.signature(for: input))
        case .es256(let key, _):
            return Array(try! key.signature(for: input).rawRepresentation)
        case .hs256(let key):
            return Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
        }
    }

    /// Whether `signature` is this key's signature of `input` (constant time for HMAC).
    func isValidSignature(_ signature: [UInt8], of input: UnsafeRawBufferPointer) -> Bool {
        switch material {
        case .ed25519(_, let publicKey):
            return signature.count == 64 && publicKey.isValidSignature(signature, for: input)
        case .es256(_, let publicKey):
            guard signature.count == 64, let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else {
                return false
            }
            return publicKey.isValidSignature(ecdsa, for: input)
        case .hs256(let key):
            return signature.count == 32 && HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: input, using: key)
        }
    }
}
