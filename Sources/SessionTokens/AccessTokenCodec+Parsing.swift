// AccessTokenCodec+Parsing: splitting a compact JWS, reading its header, checking its signature and its claims.

import Foundation

extension AccessTokenCodec {
    /// The claims of a token whose structure, header and signature are valid (times, issuer and audience are
    /// checked by the caller).
    func verifiedClaims(_ token: Substring) throws(AccessTokenError) -> AccessTokenClaims {
        let utf8 = token.utf8
        let dot = UInt8(ascii: ".")
        guard let firstDot = utf8.firstIndex(of: dot),
              let secondDot = utf8[utf8.index(after: firstDot)...].firstIndex(of: dot),
              !utf8[utf8.index(after: secondDot)...].contains(dot)
        else { throw AccessTokenError(.malformed, "an access token has three segments") }
        guard let headerBytes = JWTBase64URL.decode(utf8[..<firstDot]) else {
            throw AccessTokenError(.malformed, "the access-token header is not base64url")
        }
        let header = try JOSEHeader.decode(headerBytes)
        guard let name = header.algorithm, let algorithm = JWTSigningKey.Algorithm(rawValue: name) else {
            throw AccessTokenError(.unsupportedAlgorithm, "the access token's alg is not supported")
        }
        guard !header.asksForExternalKey else {
            throw AccessTokenError(.unsupportedAlgorithm, "the access-token header asks for jku, x5u, jwk, x5c or crit")
        }
        guard let keyID = header.keyID, let key = keys.byKeyID[keyID] else {
            throw AccessTokenError(.unknownKey, "the access token's kid names no key")
        }
        guard key.algorithm == algorithm else {
            throw AccessTokenError(.unsupportedAlgorithm, "the access token's alg is not the one of its key")
        }
        if let type = header.type, type != "JWT", type != "at+jwt" {
            throw AccessTokenError(.malformed, "the access token's typ is not JWT")
        }
        guard let signature = JWTBase64URL.decode(utf8[utf8.index(after: secondDot)...]) else {
            throw AccessTokenError(.malformed, "the access-token signature is not base64url")
        }
        let signed = utf8[..<secondDot]
        let valid = signed.withContiguousStorageIfAvailable { key.isValidSignature(signature, of: UnsafeRawBufferPointer($0)) }
            ?? Array(signed).withUnsafeBytes { key.isValidSignature(signature, of: $0) }
        guard valid else { throw AccessTokenError(.badSignature, "the access-token signature does not verify") }
        guard let payload = JWTBase64URL.decode(utf8[utf8.index(after: firstDot)..<secondDot]) else {
            throw AccessTokenError(.malformed, "the access-token payload is not base64url")
        }
        return try ClaimsPayload.decode(payload)
    }
}

/// The JOSE header members we read. Which of two duplicate members counts is the JSON decoder's choice: only the
/// holder of a signing key can make a header we act on (apart from `alg` and `kid`, which select that key and are
/// checked against it).
struct JOSEHeader: Decodable {
    var algorithm: String?
    var keyID: String?
    var type: String?
    /// `jku`, `x5u`, `jwk`, `x5c` or `crit` is present (with any value): refused, never fetched or honoured.
    var asksForExternalKey: Bool

    private enum Member: String, CodingKey { case alg, kid, typ, jku, x5u, jwk, x5c, crit }

    init(from decoder: any Decoder) throws {
        let members = try decoder.container(keyedBy: Member.self)
        algorithm = try members.decodeIfPresent(String.self, forKey: .alg)
        keyID = try members.decodeIfPresent(String.self, forKey: .kid)
        type = try members.decodeIfPresent(String.self, forKey: .typ)
        asksForExternalKey = [Member.jku, .x5u, .jwk, .x5c, .crit].contains { members.contains($0) }
    }

    /// Reads a header. - Throws: `.malformed` for anything but a JSON object with string `alg`, `kid`, `typ`.
    static func decode(_ bytes: [UInt8]) throws(AccessTokenError) -> JOSEHeader {
        do {
            return try JSONDecoder().decode(JOSEHeader.self, from: Data(bytes))
        } catch {
            throw AccessTokenError(.malformed, "the access-token header is not a JSON object of the right types")
        }
    }
}

/// The payload: every claim required, with its type (a single string `aud`; integer times). Times with a fraction
/// are refused; an integral value written as `1700000300.0` or `17e8` is read as that integer (the JSON decoder's
/// reading; NumericDate allows non-integers, and only a key holder can sign such a payload).
struct ClaimsPayload: Decodable {
    var iss: String
    var aud: String
    var sub: String
    var iat: Int64
    var nbf: Int64
    var exp: Int64
    var jti: String
    var sid: String

    /// Reads the claims.
    /// - Throws: `.malformed` when the payload is not a JSON object; `.invalidClaims` when a claim is missing or
    ///   of the wrong type.
    static func decode(_ bytes: [UInt8]) throws(AccessTokenError) -> AccessTokenClaims {
        let payload: ClaimsPayload
        do {
            payload = try JSONDecoder().decode(ClaimsPayload.self, from: Data(bytes))
        } catch {
            // Only on failure: tell a JSON object with a bad claim from something that is no JSON object at all.
            let isObject = (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any]
            throw isObject
                ? AccessTokenError(.invalidClaims, "an access-token claim is missing or has the wrong type")
                : AccessTokenError(.malformed, "the access-token payload is not a JSON object")
        }
        return AccessTokenClaims(
            issuer: payload.iss, audience: payload.aud, subject: payload.sub, issuedAt: payload.iat,
            notBefore: payload.nbf, expiresAt: payload.exp, tokenID: payload.jti, family: payload.sid)
    }
}
