// FuzzAccessToken: libFuzzer target for access-token verification (compact JWS parsing, header and claim checks).

import Foundation
import FuzzSupport
import SessionTokens

/// A fixed Ed25519 key (seed: 32 bytes of 0x01) under kid `fuzz`, issuer `fuzz-issuer`, audience `fuzz-api`; the
/// seed corpus's valid tokens were signed with it and are valid at `now`.
let pkcs8: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    + [UInt8](repeating: 1, count: 32)
let pem = "-----BEGIN PRIVATE KEY-----\n\(Data(pkcs8).base64EncodedString())\n-----END PRIVATE KEY-----\n"
let codec = try! AccessTokenCodec(
    keys: JWTKeySet(signingKey: JWTSigningKey(pem: pem, keyID: "fuzz")),
    configuration: .init(issuer: "fuzz-issuer", audience: "fuzz-api"))
let now: Int64 = 1_700_000_000

/// Properties: no crash on any input, and only ``AccessTokenError`` (which never contains a long token); an
/// accepted token verifies again (from the cache) to the same claims, and flipping any one bit of any of its
/// bytes makes it fail.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let token = String(decoding: input, as: UTF8.self)
    let claims: AccessTokenClaims
    do {
        claims = try codec.verify(token, now: now)
    } catch {
        // Compared as bytes: Foundation's `contains` stops at a NUL and would find "l\0\0…" in any message with an "l".
        precondition(token.utf8.count < 16 || Array(error.description.utf8).firstRange(of: Array(token.utf8)) == nil,
                     "an error contains the token")
        return 0
    }
    precondition((try? codec.verify(token, now: now)) == claims, "an accepted token must verify again the same")
    precondition((try? codec.verify(token[...], now: now)) == claims, "the Substring entry point must agree")
    var altered = Array(token.utf8)
    for index in altered.indices {
        for bit in [0, 5, 7] {
            altered[index] ^= 1 << bit
            let text = String(decoding: altered, as: UTF8.self)
            precondition((try? codec.verify(text, now: now)) == nil, "a token with a flipped bit must fail")
            altered[index] ^= 1 << bit
        }
    }
    return 0
}

#if FUZZING
@_cdecl("fuzz_access_token_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
