// JWTSigningKey+PEM: loading an Ed25519 (PKCS#8) or P-256 (SEC1 or PKCS#8) private key from PEM.

import Crypto
import Foundation

extension JWTSigningKey {
    /// The DER of an Ed25519 PKCS#8 v1 private key (RFC 8410 §7) up to its 32-byte seed: what `openssl genpkey
    /// -algorithm ed25519` writes.
    private static let ed25519PKCS8Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    /// Loads a private key from PEM.
    ///
    /// Accepted: Ed25519 in PKCS#8 (`-----BEGIN PRIVATE KEY-----`, OID 1.3.101.112, without the optional public
    /// key or attributes) for EdDSA, and P-256 in SEC1 (`EC PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`) for ES256.
    ///
    /// ```swift
    /// let key = try JWTSigningKey(pem: String(contentsOfFile: "/run/secrets/jwt.pem", encoding: .utf8))
    /// ```
    /// - Parameters:
    ///   - pem: the PEM text.
    ///   - keyID: the `kid`; `nil` uses the RFC 7638 JWK thumbprint of the public key (base64url SHA-256).
    /// - Throws: `.invalidKey` when the text is not one of those keys (the message never contains key material).
    public init(pem: String, keyID: String? = nil) throws(AccessTokenError) {
        let material: Material
        if let seed = Self.ed25519Seed(pem: pem), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) {
            material = .ed25519(key, key.publicKey)
        } else if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            material = .es256(key, key.publicKey)
        } else {
            throw AccessTokenError(.invalidKey, "the PEM is neither an Ed25519 PKCS#8 nor a P-256 private key")
        }
        let thumbprint = keyID ?? Self.thumbprint(of: material)
        self.init(material: material, keyID: thumbprint)
    }

    /// The 32-byte seed of an Ed25519 PKCS#8 PEM, or `nil`.
    private static func ed25519Seed(pem: String) -> [UInt8]? {
        let begin = "-----BEGIN PRIVATE KEY-----", end = "-----END PRIVATE KEY-----"
        guard let start = pem.range(of: begin), let stop = pem.range(of: end, range: start.upperBound..<pem.endIndex) else {
            return nil
        }
        let body = pem[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        guard let der = Data(base64Encoded: String(body)), der.count == ed25519PKCS8Prefix.count + 32,
              der.prefix(ed25519PKCS8Prefix.count).elementsEqual(ed25519PKCS8Prefix)
        else { return nil }
        return Array(der.suffix(32))
    }
}
