// JWTKeysTests: keys derived from the keyring, rotation, the JWKS, PEM loading, ES256 and explicit HS256.

import Crypto
import Foundation
import SessionStore
import SessionTokens
import Testing

@Suite("JWT keys")
struct JWTKeysTests {
    static let secretA = String(repeating: "a", count: 32)
    static let secretB = String(repeating: "b", count: 32)

    func jwk(_ keys: JWTKeySet) throws -> [[String: String]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(keys.jwks())) as? [String: Any])
        #expect(object.count == 1)
        return try #require(object["keys"] as? [[String: String]])
    }

    @Test("derived keys: the same secrets give the same keys; another version or keyring gives others")
    func derivation() throws {
        let one = JWTKeySet.derived(from: try Fixture.keyring([(1, Self.secretA)]))
        let same = JWTKeySet.derived(from: try Fixture.keyring([(1, Self.secretA)]))
        #expect(one.jwks() == same.jwks())
        let token = try AccessTokenCodec.derivedCodec(Fixture.keyring([(1, Self.secretA)])).sign(Fixture.claims())
        #expect(try AccessTokenCodec.derivedCodec(Fixture.keyring([(1, Self.secretA)])).verify(token, now: Fixture.now) == Fixture.claims())

        let otherVersion = JWTKeySet.derived(from: try Fixture.keyring([(2, Self.secretA)]))
        let otherSecret = JWTKeySet.derived(from: try Fixture.keyring([(1, Self.secretB)]))
        let x = try jwk(one)[0]["x"], x2 = try jwk(otherVersion)[0]["x"], x3 = try jwk(otherSecret)[0]["x"]
        #expect(x != nil && x != x2 && x != x3 && x2 != x3)
        #expect(one.signingKey.keyID == "sess-v1" && otherVersion.signingKey.keyID == "sess-v2")
        #expect(one.signingKey.algorithm == .eddsa)
    }

    @Test("rotation: v2 signs and v1 still verifies; once v1 is dropped its tokens name an unknown key")
    func rotation() throws {
        let before = try AccessTokenCodec.derivedCodec(Fixture.keyring([(1, Self.secretA)]))
        let during = try AccessTokenCodec.derivedCodec(Fixture.keyring([(2, Self.secretB), (1, Self.secretA)]))
        let after = try AccessTokenCodec.derivedCodec(Fixture.keyring([(2, Self.secretB)]))
        let old = before.sign(Fixture.claims())
        #expect(try during.verify(old, now: Fixture.now) == Fixture.claims())
        let new = during.sign(Fixture.claims())
        #expect(during.keys.signingKey.keyID == "sess-v2")
        #expect(String(decoding: Fixture.unb64(new.split(separator: ".")[0])!, as: UTF8.self).contains(#""kid":"sess-v2""#))
        #expect(try after.verify(new, now: Fixture.now) == Fixture.claims())
        try expectRefused(old, .unknownKey, codec: after)
        try expectRefused(new, .unknownKey, codec: before)
        #expect(try jwk(during.keys).map { $0["kid"] } == ["sess-v2", "sess-v1"])
    }

    @Test("the JWKS has the public keys with kid, alg and use, and never a private or HMAC key")
    func jwks() throws {
        let p256 = P256.Signing.PrivateKey()
        let keys = try JWTKeySet(signingKey: Fixture.signingKey, verificationKeys: [
            .es256(p256, keyID: "ec-1"), .hs256(SymmetricKey(size: .bits256), keyID: "hmac-1"),
        ])
        let published = try jwk(keys)
        #expect(published.count == 2)
        #expect(published[0] == ["kty": "OKP", "crv": "Ed25519", "kid": "k1", "alg": "EdDSA", "use": "sig",
                                 "x": Fixture.b64(Fixture.edKey.publicKey.rawRepresentation)])
        let raw = Array(p256.publicKey.rawRepresentation)
        #expect(published[1] == ["kty": "EC", "crv": "P-256", "kid": "ec-1", "alg": "ES256", "use": "sig",
                                 "x": Fixture.b64(raw[0..<32]), "y": Fixture.b64(raw[32...])])
        let text = String(decoding: keys.jwks(), as: UTF8.self)
        #expect(!text.contains("\"d\"") && !text.contains("\"k\"") && !text.contains("hmac-1"))
        #expect(!text.contains(Fixture.b64(Fixture.seed)))
    }

    @Test("duplicate kids are refused")
    func duplicateKid() throws {
        #expect(throws: AccessTokenError.self) {
            try JWTKeySet(signingKey: Fixture.signingKey, verificationKeys: [.es256(P256.Signing.PrivateKey(), keyID: "k1")])
        }
    }

    static func ed25519PEM(seed: [UInt8]) -> String {
        let der: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + seed
        return "-----BEGIN PRIVATE KEY-----\n\(Data(der).base64EncodedString())\n-----END PRIVATE KEY-----\n"
    }

    @Test("an Ed25519 PKCS#8 PEM loads, its kid the RFC 7638 thumbprint (RFC 8037 A.3's example key)")
    func ed25519PEM() throws {
        // RFC 8037 Appendix A.1 private key; A.3 gives its thumbprint.
        let d = try #require(Fixture.unb64("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"))
        let key = try JWTSigningKey(pem: Self.ed25519PEM(seed: d))
        #expect(key.keyID == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
        #expect(key.algorithm == .eddsa)
        let named = try JWTSigningKey(pem: Self.ed25519PEM(seed: d), keyID: "mine")
        #expect(named.keyID == "mine")
        let codec = try Fixture.codec(JWTKeySet(signingKey: key))
        #expect(try codec.verify(codec.sign(Fixture.claims()), now: Fixture.now) == Fixture.claims())
        #expect(try jwk(codec.keys)[0]["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
    }

    @Test("a P-256 PEM loads for ES256: raw r‖s signatures that round-trip")
    func p256PEM() throws {
        let p256 = P256.Signing.PrivateKey()
        let key = try JWTSigningKey(pem: p256.pemRepresentation)
        #expect(key.algorithm == .es256)
        // The kid is the thumbprint of the public JWK, computed independently here.
        let raw = Array(p256.publicKey.rawRepresentation)
        let members = #"{"crv":"P-256","kty":"EC","x":"\#(Fixture.b64(raw[0..<32]))","y":"\#(Fixture.b64(raw[32...]))"}"#
        #expect(key.keyID == Fixture.b64(Array(SHA256.hash(data: Array(members.utf8)))))
        let codec = try Fixture.codec(JWTKeySet(signingKey: key))
        let token = codec.sign(Fixture.claims())
        let parts = token.split(separator: ".")
        #expect(String(decoding: Fixture.unb64(parts[0])!, as: UTF8.self) == #"{"alg":"ES256","typ":"JWT","kid":"\#(key.keyID)"}"#)
        let signature = try #require(Fixture.unb64(parts[2]))
        #expect(signature.count == 64)
        let ecdsa = try P256.Signing.ECDSASignature(rawRepresentation: signature)
        #expect(p256.publicKey.isValidSignature(ecdsa, for: Array((parts[0] + "." + parts[1]).utf8)))
        #expect(try codec.verify(token, now: Fixture.now) == Fixture.claims())
        // An ES256 token by another P-256 key under the same kid fails.
        let forged = Fixture.forge(header: String(decoding: Fixture.unb64(parts[0])!, as: UTF8.self),
                                   payload: Fixture.json(Fixture.members())) {
            Array(try! P256.Signing.PrivateKey().signature(for: $0).rawRepresentation)
        }
        try expectRefused(forged, .badSignature, codec: codec)
    }

    @Test("PEMs that are not our keys are refused without echoing them")
    func badPEM() throws {
        let body = Data(repeating: 0x41, count: 48).base64EncodedString()
        for pem in ["", "garbage", "-----BEGIN PRIVATE KEY-----\n\(body)\n-----END PRIVATE KEY-----",
                    Self.ed25519PEM(seed: Array(repeating: 1, count: 31)),
                    Self.ed25519PEM(seed: Fixture.seed).replacingOccurrences(of: "PRIVATE KEY", with: "PUBLIC KEY")] {
            do {
                _ = try JWTSigningKey(pem: pem)
                Issue.record("accepted a bad PEM")
            } catch {
                #expect(error.reason == .invalidKey)
                #expect(!error.description.contains(body) && !error.description.contains("BEGIN"))
            }
        }
    }

    @Test("HS256 only when configured: round trip, short secrets refused")
    func hs256() throws {
        let secret = SymmetricKey(data: Array(repeating: UInt8(9), count: 32))
        let codec = try Fixture.codec(JWTKeySet(signingKey: .hs256(secret, keyID: "h")))
        let token = codec.sign(Fixture.claims())
        #expect(try codec.verify(token, now: Fixture.now) == Fixture.claims())
        let expected = Fixture.forge(header: #"{"alg":"HS256","typ":"JWT","kid":"h"}"#, payload: Fixture.json(Fixture.members())) {
            Array(HMAC<SHA256>.authenticationCode(for: $0, using: secret))
        }
        #expect(token == expected)
        let other = try Fixture.codec(JWTKeySet(signingKey: .hs256(SymmetricKey(size: .bits256), keyID: "h")))
        try expectRefused(token, .badSignature, codec: other)
        do {
            _ = try JWTSigningKey.hs256(SymmetricKey(data: Array(repeating: UInt8(9), count: 31)), keyID: "h")
            Issue.record("accepted a 31-byte HMAC secret")
        } catch {
            #expect(error.reason == .invalidKey)
        }
    }
}
