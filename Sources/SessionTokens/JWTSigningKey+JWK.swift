// JWTSigningKey+JWK: the public key as a JWK (RFC 7517/8037) and its RFC 7638 thumbprint.

import Crypto

extension JWTSigningKey {
    /// The public JWK of this key (`kid`, `alg`, `use`: `sig`), or `nil` for an HMAC key, which is never published.
    func publicJWK() -> [UInt8]? {
        var jwk = JSONText(capacity: 192)
        switch material {
        case .ed25519(_, let publicKey):
            jwk.add("kty", "OKP")
            jwk.add("crv", "Ed25519")
            jwk.add("x", JWTBase64URL.encode(publicKey.rawRepresentation))
        case .es256(_, let publicKey):
            let raw = Array(publicKey.rawRepresentation)   // x ‖ y, 32 bytes each
            jwk.add("kty", "EC")
            jwk.add("crv", "P-256")
            jwk.add("x", JWTBase64URL.encode(raw[0..<32]))
            jwk.add("y", JWTBase64URL.encode(raw[32..<64]))
        case .hs256:
            return nil
        }
        jwk.add("kid", keyID)
        jwk.add("alg", algorithm.rawValue)
        jwk.add("use", "sig")
        return jwk.finish()
    }

    /// The RFC 7638 thumbprint: base64url SHA-256 of the required members in lexicographic order, no whitespace.
    /// (HMAC keys, which have no public half, hash their `k` under a domain separator instead: never published.)
    static func thumbprint(of material: Material) -> String {
        var members = JSONText(capacity: 160)
        switch material {
        case .ed25519(_, let publicKey):
            members.add("crv", "Ed25519")
            members.add("kty", "OKP")
            members.add("x", JWTBase64URL.encode(publicKey.rawRepresentation))
        case .es256(_, let publicKey):
            let raw = Array(publicKey.rawRepresentation)
            members.add("crv", "P-256")
            members.add("kty", "EC")
            members.add("x", JWTBase64URL.encode(raw[0..<32]))
            members.add("y", JWTBase64URL.encode(raw[32..<64]))
        case .hs256(let key):
            return JWTBase64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array("jwt-kid".utf8), using: key)))
        }
        return JWTBase64URL.encode(Array(SHA256.hash(data: members.finish())))
    }
}
