// JWTSigningKey+JWK: the public key as a JWK (RFC 7517/8037) and its RFC 7638 thumbprint.

import Crypto

extension JWTSigningKey {
    /// The members that define a public key, in lexicographic order (as RFC 7638 hashes them); `nil` for an HMAC
    /// key, which has no public half.
    static func publicMembers(of material: Material) -> [(name: StaticString, value: String)]? {
        switch material {
        case .ed25519(_, let publicKey):
            return [("crv", "Ed25519"), ("kty", "OKP"), ("x", JWTBase64URL.encode(publicKey.rawRepresentation))]
        case .es256(_, let publicKey):
            let raw = Array(publicKey.rawRepresentation)   // x ‖ y, 32 bytes each
            return [("crv", "P-256"), ("kty", "EC"), ("x", JWTBase64URL.encode(raw[0..<32])), ("y", JWTBase64URL.encode(raw[32..<64]))]
        case .hs256:
            return nil
        }
    }

    /// The public JWK of this key (`kid`, `alg`, `use`: `sig`), or `nil` for an HMAC key, which is never published.
    func publicJWK() -> [UInt8]? {
        guard let members = Self.publicMembers(of: material) else { return nil }
        var jwk = JSONText(capacity: 192)
        for member in members { jwk.add(member.name, member.value) }
        jwk.add("kid", keyID)
        jwk.add("alg", algorithm.rawValue)
        jwk.add("use", "sig")
        return jwk.finish()
    }

    /// The RFC 7638 thumbprint: base64url SHA-256 of the required members in lexicographic order, no whitespace.
    /// (HMAC keys, which have no public half, hash their `k` under a domain separator instead: never published.)
    static func thumbprint(of material: Material) -> String {
        guard let members = publicMembers(of: material) else {
            guard case .hs256(let key) = material else { preconditionFailure("only HMAC keys have no public members") }
            return JWTBase64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array("jwt-kid".utf8), using: key)))
        }
        var text = JSONText(capacity: 160)
        for member in members { text.add(member.name, member.value) }
        return JWTBase64URL.encode(Array(SHA256.hash(data: text.finish())))
    }
}
