// AccessTokenCorpusTests: the fuzz target's seed corpus (tokens made by another JWT implementation) verifies as named.

import Foundation
import SessionTokens
import Testing

@Suite("Access-token seed corpus")
struct AccessTokenCorpusTests {
    /// The fuzz target's key (PKCS#8 of a seed of 32 bytes of 0x01) and settings.
    static func fuzzCodec() throws -> AccessTokenCodec {
        let pem = JWTKeysTests.ed25519PEM(seed: [UInt8](repeating: 1, count: 32))
        return try AccessTokenCodec(keys: JWTKeySet(signingKey: JWTSigningKey(pem: pem, keyID: "fuzz")),
                                    configuration: .init(issuer: "fuzz-issuer", audience: "fuzz-api"))
    }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz/corpus/access-token").standardizedFileURL

    static let expected: [String: AccessTokenError.Reason?] = [
        "valid-eddsa": nil, "valid-spaced-extra-members": nil, "alg-none": .unsupportedAlgorithm,
        "hs256-with-public-key": .unsupportedAlgorithm, "kid-traversal": .unknownKey, "jku-header": .unsupportedAlgorithm,
        "padded": .malformed, "aud-array": .invalidClaims, "deep-nesting": .malformed, "oversized": .tooLarge,
        "expired": .expired, "float-exp": nil,   // 1700000300.0: an integral value; fractions are refused "duplicate-claims": .wrongIssuer, "dots": .malformed, "non-canonical-signature": .malformed,
    ]

    @Test("each seed verifies or fails as its name says", arguments: expected.keys.sorted())
    func seed(name: String) throws {
        let text = try String(contentsOf: Self.corpus.appendingPathComponent(name), encoding: .utf8)
        let codec = try Self.fuzzCodec()
        do {
            let claims = try codec.verify(text, now: 1_700_000_000)
            #expect(Self.expected[name]! == nil, "\(name) was accepted")
            #expect(claims.issuer == "fuzz-issuer")
        } catch {
            #expect(Self.expected[name]! == error.reason, "\(name): \(error)")
        }
    }
}
