// Base64URL: strict base64url (RFC 4648 §5, no padding) encoding and decoding for tokens and derived keys.

/// Strict base64url without padding.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes without padding, straight into the string's storage.
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        let alphabet = Self.alphabet
        return String(unsafeUninitializedCapacity: (bytes.count * 8 + 5) / 6) { output in
            var count = 0
            var buffer: UInt32 = 0
            var bits = 0
            for byte in bytes {
                buffer = buffer << 8 | UInt32(byte)
                bits += 8
                while bits >= 6 {
                    bits -= 6
                    output[count] = alphabet[Int((buffer >> UInt32(bits)) & 63)]
                    count += 1
                }
            }
            if bits > 0 {
                output[count] = alphabet[Int((buffer << UInt32(6 - bits)) & 63)]
                count += 1
            }
            return count
        }
    }

    /// Decodes text whose length is a multiple of 4 characters (no padding, no leftover bits); `nil` for any
    /// character outside the alphabet.
    static func decodeExact(_ text: Substring.UTF8View) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3)
        var buffer: UInt32 = 0
        var count = 0
        for character in text {
            let value = values[Int(character)]
            guard value != 0xFF else { return nil }
            buffer = buffer << 6 | UInt32(value)
            count += 1
            if count == 4 {
                output.append(UInt8(truncatingIfNeeded: buffer >> 16))
                output.append(UInt8(truncatingIfNeeded: buffer >> 8))
                output.append(UInt8(truncatingIfNeeded: buffer))
                buffer = 0
                count = 0
            }
        }
        return output
    }
}
