// JWTBase64URL: strict unpadded base64url (RFC 4648 §5) of any length, for the segments of a compact JWS.

import SessionStore

/// Strict base64url without padding, for JWS segments (whose lengths are not multiples of 4).
///
/// Decoding refuses `=`, any character outside the alphabet, a length of 1 modulo 4, and non-canonical text
/// (unused trailing bits that are not zero), so that each byte string has exactly one accepted encoding: a
/// token cannot be altered without changing the bytes it stands for. (The signature bytes themselves may have two
/// valid forms: ECDSA accepts both `s` and `n − s`, so an ES256 token has a second valid text. Nothing here relies
/// on a token having one text: the verified-token cache only ever holds texts that verified.)
enum JWTBase64URL {
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        return table
    }()

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes bytes without padding.
    static func encode(_ bytes: some Collection<UInt8>) -> String { Base64URL.encode(bytes) }

    /// Appends the encoding of `bytes` (no padding) to `output`.
    static func append(_ bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        let alphabet = Self.alphabet
        output.reserveCapacity(output.count + (bytes.count * 8 + 5) / 6)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 6 {
                bits -= 6
                output.append(alphabet[Int((buffer >> UInt32(bits)) & 63)])
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(6 - bits)) & 63)]) }
    }

    /// Whether `byte` is in the base64url alphabet.
    static func isAlphabet(_ byte: UInt8) -> Bool { values[Int(byte)] != 0xFF }

    /// Decodes a segment; `nil` unless it is canonical unpadded base64url.
    static func decode(_ text: Substring.UTF8View) -> [UInt8]? {
        if let decoded = text.withContiguousStorageIfAvailable({ decode(contiguous: $0) }) { return decoded }
        return Array(text).withUnsafeBufferPointer { decode(contiguous: $0) }
    }

    /// ``decode(_:)`` over contiguous bytes.
    static func decode(contiguous text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let remainder = text.count % 4
        guard remainder != 1 else { return nil }
        let values = Self.values
        var valid = true
        let outputCount = text.count / 4 * 3 + (remainder == 0 ? 0 : remainder - 1)
        let output = [UInt8](unsafeUninitializedCapacity: outputCount) { output, count in
            var buffer: UInt32 = 0
            var bits = 0
            for character in text {
                let value = values[Int(character)]
                valid = valid && value != 0xFF
                buffer = buffer << 6 | UInt32(value & 63)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    output[count] = UInt8(truncatingIfNeeded: buffer >> UInt32(bits))
                    count += 1
                }
            }
            // Non-canonical: the bits left over after the last whole byte must be zero.
            valid = valid && buffer & ((1 << UInt32(bits)) - 1) == 0
        }
        return valid ? output : nil
    }
}
