// TokenFixtures: keys, claims, codecs and hand-made (forged) tokens for the access-token tests.

import Crypto
import Foundation
import SessionStore
import SessionTokens
import Testing

enum Fixture {
    static let now: Int64 = 1_700_000_000
    static let issuer = "https://id.example"
    static let audience = "api"
    static let seed = [UInt8](repeating: 7, count: 32)
    static let edKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    static let signingKey = JWTSigningKey.ed25519(edKey, keyID: "k1")

    static func claims(
        issuedAt: Int64 = now, notBefore: Int64 = now, expiresAt: Int64 = now + 300, subject: String = "alice"
    ) -> AccessTokenClaims {
        AccessTokenClaims(issuer: issuer, audience: audience, subject: subject, issuedAt: issuedAt, notBefore: notBefore,
                          expiresAt: expiresAt, tokenID: "jti-1", family: "fam-1")
    }

    static func codec(_ keys: JWTKeySet? = nil, leeway: Duration = .seconds(10)) throws -> AccessTokenCodec {
        try AccessTokenCodec(keys: keys ?? JWTKeySet(signingKey: signingKey),
                             configuration: .init(issuer: issuer, audience: audience, leeway: leeway))
    }

    static func keyring(_ entries: [(UInt8, String)]) throws -> SessionKeyring {
        try SessionKeyring(secrets: entries.map { "\($0.0):\($0.1)" }.joined(separator: ","))
    }

    static func b64(_ bytes: some Collection<UInt8>) -> String { Base64URL.encode(bytes) }
    static func b64(_ text: String) -> String { b64(Array(text.utf8)) }

    /// Decodes an unpadded base64url segment (test-side, via Foundation).
    static func unb64(_ text: some StringProtocol) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }

    /// The payload members of valid claims, as JSON text values.
    static func members(_ claims: AccessTokenClaims = claims()) -> [(String, String)] {
        [("iss", "\"\(claims.issuer)\""), ("aud", "\"\(claims.audience)\""), ("sub", "\"\(claims.subject)\""),
         ("iat", "\(claims.issuedAt)"), ("nbf", "\(claims.notBefore)"), ("exp", "\(claims.expiresAt)"),
         ("jti", "\"\(claims.tokenID)\""), ("sid", "\"\(claims.family)\"")]
    }

    static func json(_ members: [(String, String)]) -> String {
        "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static func replacing(_ name: String, with value: String?, in members: [(String, String)] = members()) -> [(String, String)] {
        members.compactMap { $0.0 == name ? value.map { (name, $0) } : $0 }
    }

    /// A token with this header and payload text, signed by `sign` over the signing input.
    static func forge(header: String, payload: String, sign: ([UInt8]) -> [UInt8] = { edSign($0) }) -> String {
        let input = b64(header) + "." + b64(payload)
        return input + "." + b64(sign(Array(input.utf8)))
    }

    static func edSign(_ input: [UInt8], key: Curve25519.Signing.PrivateKey = edKey) -> [UInt8] {
        Array(try! key.signature(for: input))
    }

    static let validHeader = #"{"alg":"EdDSA","typ":"JWT","kid":"k1"}"#
}

/// Expects verification to fail with `reason` (and the error not to contain the token).
func expectRefused(
    _ token: String, _ reason: AccessTokenError.Reason, codec: AccessTokenCodec? = nil, now: Int64 = Fixture.now,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let codec = try codec ?? Fixture.codec()
    do {
        let claims = try codec.verify(token, now: now)
        Issue.record("accepted a token that should be \(reason): \(claims)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.reason == reason, "\(error)", sourceLocation: sourceLocation)
        if token.count >= 16 { #expect(!error.description.contains(token), sourceLocation: sourceLocation) }
    }
}
