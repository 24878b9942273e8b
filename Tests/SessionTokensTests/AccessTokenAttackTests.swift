// AccessTokenAttackTests: every way an access token can be forged, altered or misused is refused, with its reason.

import Crypto
import Foundation
import SessionStore
import SessionTokens
import Testing

@Suite("Access-token attacks")
struct AccessTokenAttackTests {
    let codec = try! Fixture.codec()
    let valid = try! Fixture.codec().sign(Fixture.claims())
    var parts: [String] { valid.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    @Test("a signed token verifies, with the header we promise")
    func roundTrip() throws {
        #expect(try codec.verify(valid, now: Fixture.now) == Fixture.claims())
        #expect(parts.count == 3)
        #expect(Fixture.unb64(parts[0]).map { String(decoding: $0, as: UTF8.self) } == Fixture.validHeader)
        #expect(Fixture.unb64(parts[2])?.count == 64)
        // The hand-made token of the same header and claims is byte for byte the same (Ed25519 is deterministic).
        #expect(Fixture.forge(header: Fixture.validHeader, payload: Fixture.json(Fixture.members())) == valid)
        #expect(try codec.verify(valid[...], now: Fixture.now) == Fixture.claims())
    }

    @Test("claims with quotes, backslashes, control characters and Unicode round-trip")
    func escaping() throws {
        var claims = Fixture.claims(subject: "a\"b\\c\n\u{1}é😀")
        claims.tokenID = "</script>"
        #expect(try codec.verify(codec.sign(claims), now: Fixture.now) == claims)
    }

    @Test("alg none, with and without a signature, and other algorithms we do not implement")
    func algNone() throws {
        let payload = Fixture.json(Fixture.members())
        for alg in ["none", "None", "NONE", "", "RS256", "PS256", "ES384", "EdDSA "] {
            let header = #"{"alg":"\#(alg)","typ":"JWT","kid":"k1"}"#
            try expectRefused(Fixture.forge(header: header, payload: payload, sign: { _ in [] }), .unsupportedAlgorithm)
            try expectRefused(Fixture.forge(header: header, payload: payload), .unsupportedAlgorithm)
        }
        let unsigned = Fixture.b64(#"{"alg":"none","kid":"k1"}"#) + "." + Fixture.b64(payload) + "."
        try expectRefused(unsigned, .unsupportedAlgorithm)
        try expectRefused(Fixture.forge(header: #"{"typ":"JWT","kid":"k1"}"#, payload: payload), .unsupportedAlgorithm)
    }

    @Test("HS256 signed with the Ed25519 public key (raw bytes, or the JWK's x) is refused")
    func hmacWithPublicKey() throws {
        let publicKey = Fixture.edKey.publicKey.rawRepresentation
        let x = Fixture.b64(publicKey)
        let header = #"{"alg":"HS256","typ":"JWT","kid":"k1"}"#
        for secret in [Array(publicKey), Array(x.utf8), Array(try JSONSerialization.data(withJSONObject: ["x": x]))] {
            let token = Fixture.forge(header: header, payload: Fixture.json(Fixture.members())) { input in
                Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: secret)))
            }
            try expectRefused(token, .unsupportedAlgorithm)
        }
    }

    @Test("ES256 on an Ed25519 key, and EdDSA on a P-256 or HMAC key, are refused")
    func algorithmConfusion() throws {
        let p256 = P256.Signing.PrivateKey()
        let es = Fixture.forge(header: #"{"alg":"ES256","typ":"JWT","kid":"k1"}"#, payload: Fixture.json(Fixture.members())) {
            Array(try! p256.signature(for: $0).rawRepresentation)
        }
        try expectRefused(es, .unsupportedAlgorithm)

        let esCodec = try Fixture.codec(JWTKeySet(signingKey: .es256(p256, keyID: "k1")))
        try expectRefused(Fixture.forge(header: Fixture.validHeader, payload: Fixture.json(Fixture.members())),
                          .unsupportedAlgorithm, codec: esCodec)
        let hsCodec = try Fixture.codec(JWTKeySet(signingKey: .hs256(SymmetricKey(size: .bits256), keyID: "k1")))
        try expectRefused(valid, .unsupportedAlgorithm, codec: hsCodec)
    }

    @Test("unknown, missing and malicious kids never match a key")
    func kids() throws {
        let payload = Fixture.json(Fixture.members())
        let kids = ["k2", "K1", "k1 ", " k1", "", "../../etc/passwd", "/k1", "k1/", "./k1", "http://evil/jwks",
                    "https://evil.example/k1", "file:///etc/passwd", "k1\\u0000", "\\u0000", "k1\\u0000x",
                    String(repeating: "k", count: 2000), "sess-v1", "*", "%6b1"]
        for kid in kids {
            try expectRefused(Fixture.forge(header: #"{"alg":"EdDSA","typ":"JWT","kid":"\#(kid)"}"#, payload: payload),
                              .unknownKey)
        }
        try expectRefused(Fixture.forge(header: #"{"alg":"EdDSA","typ":"JWT"}"#, payload: payload), .unknownKey)
        try expectRefused(Fixture.forge(header: #"{"alg":"EdDSA","kid":1}"#, payload: payload), .malformed)
        try expectRefused(Fixture.forge(header: #"{"alg":"EdDSA","kid":["k1"]}"#, payload: payload), .malformed)
    }

    @Test("headers that point to other keys (jku, x5u, jwk, x5c, crit) are refused, even when validly signed")
    func externalKeys() throws {
        let payload = Fixture.json(Fixture.members())
        let jwk = #"{"kty":"OKP","crv":"Ed25519","x":"\#(Fixture.b64(Fixture.edKey.publicKey.rawRepresentation))"}"#
        for extra in [#""jku":"http://evil/jwks""#, #""x5u":"https://evil/cert""#, #""jwk":\#(jwk)"#,
                      #""x5c":["MIIB"]"#, #""crit":["exp"]"#, #""jku":null"#] {
            try expectRefused(Fixture.forge(header: #"{"alg":"EdDSA","typ":"JWT","kid":"k1",\#(extra)}"#, payload: payload),
                              .unsupportedAlgorithm)
        }
    }

    @Test("typ must be JWT or at+jwt when present")
    func type() throws {
        let payload = Fixture.json(Fixture.members())
        #expect(throws: Never.self) { try codec.verify(Fixture.forge(header: #"{"alg":"EdDSA","kid":"k1"}"#, payload: payload), now: Fixture.now) }
        #expect(throws: Never.self) { try codec.verify(Fixture.forge(header: #"{"alg":"EdDSA","typ":"at+jwt","kid":"k1"}"#, payload: payload), now: Fixture.now) }
        try expectRefused(Fixture.forge(header: #"{"alg":"EdDSA","typ":"JWE","kid":"k1"}"#, payload: payload), .malformed)
        try expectRefused(Fixture.forge(header: #"{"alg":"EdDSA","typ":1,"kid":"k1"}"#, payload: payload), .malformed)
    }

    @Test("expiry and not-before, at the leeway's boundaries")
    func times() throws {
        let now = Fixture.now
        let codec = self.codec
        func token(_ claims: AccessTokenClaims) -> String { codec.sign(claims) }
        try expectRefused(token(Fixture.claims(expiresAt: now - 10)), .expired)
        #expect(try codec.verify(token(Fixture.claims(expiresAt: now - 9)), now: now).expiresAt == now - 9)
        try expectRefused(token(Fixture.claims(expiresAt: now - 3600)), .expired)
        try expectRefused(token(Fixture.claims(notBefore: now + 11)), .notYetValid)
        #expect(throws: Never.self) { try codec.verify(token(Fixture.claims(notBefore: now + 10)), now: now) }
        try expectRefused(token(Fixture.claims(issuedAt: now + 11)), .notYetValid)
        #expect(throws: Never.self) { try codec.verify(token(Fixture.claims(issuedAt: now + 10)), now: now) }
        // Without leeway.
        let strict = try Fixture.codec(leeway: .zero)
        try expectRefused(token(Fixture.claims(expiresAt: now)), .expired, codec: strict)
        #expect(throws: Never.self) { try strict.verify(token(Fixture.claims(expiresAt: now + 1)), now: now) }
        try expectRefused(token(Fixture.claims(notBefore: now + 1)), .notYetValid, codec: strict)
        // Extreme clocks do not overflow.
        try expectRefused(valid, .expired, now: .max)
        try expectRefused(valid, .notYetValid, now: .min)
    }

    @Test("a cached token still expires, and a failure is not cached")
    func cachedTokenExpires() throws {
        let token = codec.sign(Fixture.claims(expiresAt: Fixture.now + 60))
        #expect(throws: Never.self) { try codec.verify(token, now: Fixture.now) }
        #expect(throws: Never.self) { try codec.verify(token, now: Fixture.now + 1) }   // from the cache
        try expectRefused(token, .expired, codec: codec, now: Fixture.now + 70)
        try expectRefused(token, .notYetValid, codec: codec, now: Fixture.now - 3600)
        #expect(throws: Never.self) { try codec.verify(token, now: Fixture.now + 2) }
        // Another codec's configuration is checked against the cached claims of its own.
        let other = try AccessTokenCodec(keys: codec.keys, configuration: .init(issuer: "other", audience: Fixture.audience))
        try expectRefused(token, .wrongIssuer, codec: other)
    }

    @Test("wrong issuer or audience, byte for byte; an audience array is refused")
    func issuerAndAudience() throws {
        var claims = Fixture.claims()
        claims.issuer = "https://evil.example"
        try expectRefused(codec.sign(claims), .wrongIssuer)
        claims = Fixture.claims()
        claims.audience = "API"
        try expectRefused(codec.sign(claims), .wrongAudience)

        // The same text in another Unicode normalization (Swift's == would call it equal) is another issuer.
        let composed = try AccessTokenCodec(keys: codec.keys, configuration: .init(issuer: "caf\u{E9}", audience: "api"))
        claims = Fixture.claims()
        claims.issuer = "cafe\u{301}"
        try expectRefused(composed.sign(claims), .wrongIssuer, codec: composed)

        let array = Fixture.replacing("aud", with: #"["api"]"#)
        try expectRefused(Fixture.forge(header: Fixture.validHeader, payload: Fixture.json(array)), .invalidClaims)
    }

    @Test("each missing claim, and claims of the wrong type, are refused")
    func claims() throws {
        for name in ["iss", "aud", "sub", "iat", "nbf", "exp", "jti", "sid"] {
            let payload = Fixture.json(Fixture.replacing(name, with: nil))
            try expectRefused(Fixture.forge(header: Fixture.validHeader, payload: payload), .invalidClaims)
            let null = Fixture.json(Fixture.replacing(name, with: "null"))
            try expectRefused(Fixture.forge(header: Fixture.validHeader, payload: null), .invalidClaims)
        }
        let wrong: [(String, String)] = [
            ("exp", "\"\(Fixture.now + 300)\""), ("exp", "\(Fixture.now).5"), ("exp", "true"), ("iat", "{}"),
            ("nbf", "[1]"), ("exp", "99999999999999999999"), ("sub", "42"), ("jti", "false"),
            ("sid", "{\"id\":1}"), ("iss", "[\"\(Fixture.issuer)\"]"),
        ]
        for (name, value) in wrong {
            let payload = Fixture.json(Fixture.replacing(name, with: value))
            try expectRefused(Fixture.forge(header: Fixture.validHeader, payload: payload), .invalidClaims)
        }
        // Not JSON, or a number no JSON parser here can hold: either reason.
        let huge = Fixture.json(Fixture.replacing("exp", with: "1e400"))
        for payload in ["[]", "\"claims\"", "42", "null", "", "{", "{\"iss\":}", "{}}", huge] {
            let token = Fixture.forge(header: Fixture.validHeader, payload: payload)
            do {
                _ = try codec.verify(token, now: Fixture.now)
                Issue.record("accepted payload \(payload)")
            } catch {
                #expect(error.reason == .malformed || error.reason == .invalidClaims, "\(payload): \(error)")
            }
        }
        for payload in ["[]", "\"claims\"", "42", "null"] {
            try expectRefused(Fixture.forge(header: Fixture.validHeader, payload: payload), .malformed)
        }
        for header in ["[]", "\"EdDSA\"", "", "{", "null"] {
            try expectRefused(Fixture.forge(header: header, payload: Fixture.json(Fixture.members())), .malformed)
        }
    }

    @Test("a tampered payload, a tampered or truncated signature, and empty parts are refused")
    func tampering() throws {
        let other = Fixture.b64(Fixture.json(Fixture.replacing("sub", with: "\"admin\"")))
        try expectRefused([parts[0], other, parts[2]].joined(separator: "."), .badSignature)
        var signature = try #require(Fixture.unb64(parts[2]))
        signature[10] ^= 1
        try expectRefused([parts[0], parts[1], Fixture.b64(signature)].joined(separator: "."), .badSignature)
        signature[10] ^= 1
        try expectRefused([parts[0], parts[1], Fixture.b64(signature.dropLast())].joined(separator: "."), .badSignature)
        try expectRefused([parts[0], parts[1], Fixture.b64(signature + [0])].joined(separator: "."), .badSignature)
        try expectRefused([parts[0], parts[1], ""].joined(separator: "."), .badSignature)
        try expectRefused(parts[0] + ".." + parts[2], .badSignature)   // the payload is read only once signed
        let cut = String(valid.dropLast())   // 85 characters: a length of 1 modulo 4
        try expectRefused(cut, .malformed)
        for shape in [parts[0] + "." + parts[1], parts.joined(separator: ".") + ".", "." + parts.joined(separator: "."),
                      "..", "", ".", "...."] {
            try expectRefused(shape, .malformed)
        }
    }

    @Test("oversized tokens are refused before parsing")
    func oversized() throws {
        let limit = codec.configuration.maxTokenBytes
        try expectRefused(String(repeating: "{", count: limit + 1), .tooLarge)
        try expectRefused(valid + String(repeating: "A", count: limit), .tooLarge)
        try expectRefused(String(repeating: "é", count: limit / 2 + 1), .tooLarge)
        let small = try AccessTokenCodec(keys: codec.keys, configuration: .init(issuer: Fixture.issuer, audience: "api",
                                                                                 maxTokenBytes: valid.utf8.count - 1))
        try expectRefused(valid, .tooLarge, codec: small)
    }

    @Test("padding, standard base64, non-canonical encodings and stray characters are malformed")
    func base64() throws {
        try expectRefused(valid + "=", .malformed)
        try expectRefused(valid + "==", .malformed)
        try expectRefused(parts[0] + "=." + parts[1] + "." + parts[2], .malformed)
        try expectRefused(" " + valid, .malformed)
        try expectRefused(valid + "\n", .malformed)
        try expectRefused("Bearer " + valid, .malformed)
        // 64 signature bytes are 86 characters: the last one carries 2 bits, its 4 low bits must be zero.
        let last = parts[2].last!
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let index = alphabet.firstIndex(of: last)!
        #expect(index % 16 == 0)
        let nonCanonical = String(parts[2].dropLast()) + String(alphabet[index + 1])
        #expect(Fixture.unb64(nonCanonical) == Fixture.unb64(parts[2]))   // a lax decoder reads the same bytes
        try expectRefused([parts[0], parts[1], nonCanonical].joined(separator: "."), .malformed)
        // Standard-alphabet characters, and a Unicode look-alike of a base64url letter (Kelvin sign for K).
        try expectRefused(valid.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "+/",
                          .malformed)
        let kelvin = valid.replacingOccurrences(of: "K", with: "\u{212A}")
        if kelvin != valid || kelvin.utf8.count != valid.utf8.count { try expectRefused(kelvin, .malformed) }
    }

    @Test("a token signed by another deployment's derived key, with the same kid, is a bad signature")
    func otherDeployment() throws {
        let ours = try AccessTokenCodec.derivedCodec(Fixture.keyring([(1, String(repeating: "a", count: 32))]))
        let theirs = try AccessTokenCodec.derivedCodec(Fixture.keyring([(1, String(repeating: "b", count: 32))]))
        #expect(ours.keys.signingKey.keyID == theirs.keys.signingKey.keyID)
        let token = theirs.sign(Fixture.claims())
        #expect(throws: Never.self) { try theirs.verify(token, now: Fixture.now) }
        try expectRefused(token, .badSignature, codec: ours)
    }

    @Test("configuration limits")
    func configuration() throws {
        let keys = try JWTKeySet(signingKey: Fixture.signingKey)
        for configuration in [AccessTokenCodec.Configuration(issuer: "i", audience: "a", leeway: .seconds(61)),
                              .init(issuer: "i", audience: "a", leeway: .seconds(-1)),
                              .init(issuer: "i", audience: "a", maxTokenBytes: 255),
                              .init(issuer: "", audience: "a"), .init(issuer: "i", audience: "")] {
            do {
                _ = try AccessTokenCodec(keys: keys, configuration: configuration)
                Issue.record("accepted \(configuration)")
            } catch {
                #expect(error.reason == .invalidKey)
            }
        }
    }
}

extension AccessTokenCodec {
    static func derivedCodec(_ keyring: SessionKeyring) throws -> AccessTokenCodec {
        try AccessTokenCodec(keys: .derived(from: keyring),
                             configuration: .init(issuer: Fixture.issuer, audience: Fixture.audience))
    }
}
