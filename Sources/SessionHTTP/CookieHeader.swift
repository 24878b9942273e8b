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
        for header in headers {
            let bytes = header.utf8
            var start = bytes.startIndex
            while start < bytes.endIndex {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
                let pair = bytes[start..<end]
                start = end < bytes.endIndex ? bytes.index(after: end) : end
                guard let equals = pair.firstIndex(of: UInt8(ascii: "=")),
                      trimmed(pair[pair.startIndex..<equals]).elementsEqual(name.utf8)
                else { continue }
                let value = Substring(trimmed(pair[bytes.index(after: equals)...]))
                guard let token = SessionToken(value) else { continue }  // exact length and alphabet, no quotes
                if !found.contains(token.rawValue) { found.append(token.rawValue) }
            }
        }
        return found
    }

    /// Removes spaces and tabs around a cookie name or value.
    private static func trimmed(_ bytes: Substring.UTF8View) -> Substring.UTF8View {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }) else { return bytes[bytes.endIndex...] }
        let last = bytes.lastIndex(where: { !isBlank($0) })!
        return bytes[first...last]
    }
}
