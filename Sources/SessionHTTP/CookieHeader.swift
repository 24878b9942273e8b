// CookieHeader: strict scanning of session-token candidates out of Cookie headers (untrusted input; fuzzed).

import SessionStore

/// Reads the session cookie out of `Cookie` request headers, for any HTTP framework's middleware.
///
/// Rules (strict):
/// - the name must match exactly, byte for byte (`__host-sid` is not `__Host-sid`);
/// - values that are not well-formed session tokens are ignored (so garbage never reaches the store);
/// - duplicates are kept as distinct candidates; a middleware uses a candidate only when it is the single one
///   that loads, so a cookie an attacker adds next to a valid one can never be chosen over it.
package enum CookieHeader {
    /// The distinct well-formed token values of cookie `name` in the given `Cookie` header values, in order.
    ///
    /// Scans UTF-8 bytes (this runs on every request): `;` separates pairs, the first `=` ends a name, and spaces
    /// and tabs around names and values are ignored. A value becomes a candidate only if it is a well-formed token.
    package static func sessionTokens(named name: String, in headers: [String]) -> [String] {
        var found: [String] = []
        var name = name
        name.withUTF8 { name in
            for header in headers {
                var header = header
                header.withUTF8 { scan($0, name: name, into: &found) }
            }
        }
        return found
    }

    /// Adds the distinct well-formed token values of cookie `name` in one header's bytes to `found`.
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, name: UnsafeBufferPointer<UInt8>, into found: inout [String]) {
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            let pair = bytes[start..<end]
            start = end + 1
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")),
                  trimmed(pair[pair.startIndex..<equals]).elementsEqual(name)
            else { continue }
            let value = trimmed(pair[(equals + 1)...])
            guard value.count == SessionToken.encodedLength,  // cheap refusal before building a string
                  let token = SessionToken(String(decoding: value, as: UTF8.self))  // exact alphabet, no quotes
            else { continue }
            if !found.contains(token.rawValue) { found.append(token.rawValue) }
        }
    }

    /// Removes spaces and tabs around a cookie name or value.
    private static func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }) else { return bytes[bytes.endIndex...] }
        let last = bytes.lastIndex(where: { !isBlank($0) })!
        return bytes[first...last]
    }
}
