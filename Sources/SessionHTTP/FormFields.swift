// FormFields: reads one field out of an application/x-www-form-urlencoded body (untrusted input; fuzzed).

/// Minimal `application/x-www-form-urlencoded` decoding, enough to find the CSRF field.
package enum FormFields {
    /// Every value of field `name` (after `+` and percent decoding); malformed pairs are skipped.
    package static func values(of name: String, in body: String) -> [String] {
        var values: [String] = []
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(parts[0]), key == name else { continue }
            guard let value = parts.count == 2 ? decode(parts[1]) : "" else { continue }
            values.append(value)
        }
        return values
    }

    /// Decodes `+` (a space) and `%XX`; `nil` for a bad escape or invalid UTF-8.
    package static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
