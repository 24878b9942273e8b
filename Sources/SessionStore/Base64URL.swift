// Base64URL: strict base64url (RFC 4648 §5, no padding) encoding and decoding for tokens and derived keys.

/// Strict base64url without padding.
package enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes without padding, straight into the string's storage.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
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
    package static func decodeExact(_ text: Substring.UTF8View) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        // Tokens arrive as slices of native strings: decode their contiguous bytes in place when possible.
        if let decoded = text.withContiguousStorageIfAvailable({ decodeExact(contiguous: $0) }) { return decoded }
        return decodeExact(contiguous: Array(text))
    }

    /// ``decodeExact(_:)`` over contiguous bytes (their count a multiple of 4), straight into the array's storage.
    private static func decodeExact(contiguous text: some RandomAccessCollection<UInt8>) -> [UInt8]? {
        let values = Self.values
        var valid = true
        let output = [UInt8](unsafeUninitializedCapacity: text.count / 4 * 3) { output, count in
            var index = text.startIndex
            while index != text.endIndex {
                var buffer: UInt32 = 0
                for _ in 0..<4 {
                    let value = values[Int(text[index])]
                    valid = valid && value != 0xFF
                    buffer = buffer << 6 | UInt32(value & 63)
                    index = text.index(after: index)
                }
                output[count] = UInt8(truncatingIfNeeded: buffer >> 16)
                output[count + 1] = UInt8(truncatingIfNeeded: buffer >> 8)
                output[count + 2] = UInt8(truncatingIfNeeded: buffer)
                count += 3
            }
        }
        return valid ? output : nil
    }
}
