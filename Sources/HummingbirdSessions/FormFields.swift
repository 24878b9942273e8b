// FormFields: reads one field out of an application/x-www-form-urlencoded body.

import HiredisClient

/// Minimal `application/x-www-form-urlencoded` decoding, enough to find the CSRF field.
enum FormFields {
    /// Every value of field `name` (after `+` and percent decoding); malformed pairs are skipped.
    static func values(of name: String, in body: String) -> [String] {
        var values: [String] = []
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(parts[0]), key == name else { continue }
            guard let value = parts.count == 2 ? decode(parts[1]) : "" else { continue }
            values.append(value)
        }
        return values
    }

    /// Decodes `+` and `%XX`; `nil` for a bad escape or invalid UTF-8.
    static func decode(_ text: Substring) -> String? {
        RedisURL.percentDecode(text, plusAsSpace: true)
    }
}
