// CookieJar: one virtual user's cookies: stores Set-Cookie name=value pairs and sends them back as a Cookie header.

import Foundation

/// A minimal cookie jar for one virtual user talking to one origin.
///
/// It keeps the `name=value` of every `Set-Cookie` in arrival order (a later one replaces an earlier one of the same
/// name) and deletes a cookie when told to (`Max-Age` of zero or less, an `Expires` in the past). Domain, path and
/// `Secure` are ignored: the bench talks to one origin and always sends every cookie, as a browser would here.
struct CookieJar: Sendable, Equatable {
    private(set) var cookies: [(name: String, value: String)] = [] {
        didSet { header = cookies.isEmpty ? nil : cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; ") }
    }

    /// The `Cookie` header value, or `nil` when the jar is empty (built when the cookies change, not per request).
    private(set) var header: String?

    /// The value of cookie `name`, if stored.
    func value(of name: String) -> String? {
        cookies.first { $0.name == name }?.value
    }

    /// Applies the `Set-Cookie` header values of one response.
    mutating func apply(setCookies: [String], now: Date = Date()) {
        for line in setCookies { apply(setCookie: line, now: now) }
    }

    /// Applies one `Set-Cookie` header value; a malformed one (no `=` in its first part, empty name) is ignored.
    mutating func apply(setCookie line: String, now: Date = Date()) {
        let parts = line.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { return }
        let name = String(pair[..<equals]).trimmingCharacters(in: .whitespaces)
        let value = String(pair[pair.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return }
        var expired = false
        var sawMaxAge = false
        for attribute in parts.dropFirst() {
            let (key, argument) = Self.split(attribute)
            switch key {
            case "max-age":
                // Max-Age wins over Expires (RFC 6265 5.3 step 3).
                guard let seconds = Int(argument) else { continue }
                sawMaxAge = true
                expired = seconds <= 0
            case "expires" where !sawMaxAge:
                if let date = Self.httpDate(argument), date <= now { expired = true }
            default:
                continue
            }
        }
        cookies.removeAll { $0.name == name }
        if !expired { cookies.append((name, value)) }
    }

    /// Empties the jar.
    mutating func removeAll() { cookies.removeAll() }

    static func == (lhs: CookieJar, rhs: CookieJar) -> Bool {
        lhs.cookies.elementsEqual(rhs.cookies) { $0.name == $1.name && $0.value == $1.value }
    }

    /// `("max-age", "0")` from `Max-Age=0`; the key lowercased.
    private static func split(_ attribute: String) -> (String, String) {
        guard let equals = attribute.firstIndex(of: "=") else { return (attribute.lowercased(), "") }
        return (
            attribute[..<equals].trimmingCharacters(in: .whitespaces).lowercased(),
            attribute[attribute.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        )
    }

    /// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, also with dashes as some servers write it), or `nil`.
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEE, dd-MMM-yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
