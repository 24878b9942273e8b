// RedisURL: parses redis:// and unix:// URLs into a connection configuration, with precise errors.

/// Parses Redis URLs.
///
/// Accepted forms:
/// - `redis://[[user]:password@]host[:port][/db]` (host may be a name, IPv4, or `[IPv6]`; port defaults to 6379)
/// - `rediss://…`, the same over TLS (the server's certificate is verified; see ``RedisTLSConfiguration``)
/// - `unix:///path/to/socket[?db=N]` (also `redis+unix://` / `redis-socket://`, and `?password=` / `?user=`)
/// - `redis-sentinel://…` and `redis-cluster://…` name deployments: see ``parseDeployment(_:)``
///
/// User names and passwords may be percent-encoded.
public enum RedisURL {
    /// Parses a URL into a connection configuration.
    /// - Throws: ``RedisError`` `.invalidURL`, naming the problem (never echoing the password).
    public static func parse(_ url: String) throws(RedisError) -> RedisConnectionConfiguration {
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw .invalidURL(url, "missing scheme: expected redis://host:port or unix:///path")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        switch scheme {
        case "redis": return try parseTCP(String(rest), original: url)
        case "rediss":
            var configuration = try parseTCP(String(rest), original: url)
            configuration.tls = RedisTLSConfiguration()
            return configuration
        case "unix", "redis+unix", "redis-socket": return try parseUnix(String(rest), original: url)
        case "redis-sentinel", "rediss-sentinel", "redis-cluster", "rediss-cluster":
            throw .invalidURL(url, "\(scheme):// names a deployment, not one server: parse it with RedisURL.parseDeployment")
        default: throw .invalidURL(url, "unsupported scheme '\(scheme)': use redis://, rediss://, unix://, redis-sentinel:// or redis-cluster://")
        }
    }

    private static func parseTCP(_ rest: String, original: String) throws(RedisError) -> RedisConnectionConfiguration {
        if rest.contains("?") || rest.contains("#") {
            throw .invalidURL(original, "query strings and fragments are not supported in redis:// URLs")
        }
        var authority = Substring(rest)
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        }
        var authentication: RedisConnectionConfiguration.Authentication?
        if let at = authority.lastIndex(of: "@") {
            authentication = try parseUserInfo(authority[..<at], original: original)
            authority = authority[authority.index(after: at)...]
        }
        let (host, port) = try parseHostPort(authority, original: original)
        var configuration = RedisConnectionConfiguration(endpoint: .tcp(host: host, port: port))
        configuration.authentication = authentication
        if !path.isEmpty {
            guard let database = Int(path), database >= 0, path.allSatisfy(\.isASCII) else {
                // The reason does not quote the path: a mistyped URL may carry a password there.
                throw .invalidURL(original, "the path must be a database number (a non-negative integer)")
            }
            configuration.database = database
        }
        return configuration
    }

    static func parseUserInfo(_ info: Substring, original: String) throws(RedisError) -> RedisConnectionConfiguration.Authentication? {
        let user: Substring
        let password: Substring
        if let colon = info.firstIndex(of: ":") {
            user = info[..<colon]
            password = info[info.index(after: colon)...]
        } else {
            // `redis://secret@host` is the conventional form for a password without user.
            user = ""
            password = info
        }
        guard let decodedUser = percentDecode(user), let decodedPassword = percentDecode(password) else {
            throw .invalidURL(original, "bad percent-encoding in the credentials")
        }
        if decodedPassword.isEmpty {
            if decodedUser.isEmpty { return nil }
            throw .invalidURL(original, "user '\(decodedUser)' has no password")
        }
        return .init(username: decodedUser.isEmpty ? nil : decodedUser, password: decodedPassword)
    }

    static func parseHostPort(_ authority: Substring, original: String, defaultPort: Int = 6379) throws(RedisError) -> (String, Int) {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw .invalidURL(original, "unterminated IPv6 address (missing ']')")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL(original, "unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else {
            host = authority
            if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            }
        }
        if host.isEmpty { throw .invalidURL(original, "missing host") }
        let allowed = host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._:".contains($0)) }
        if !allowed { throw .invalidURL(original, "host '\(host)' has characters a host name cannot have") }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), portText.allSatisfy(\.isNumber), (1...65535).contains(value) else {
                throw .invalidURL(original, "port '\(portText)' is not a number in 1...65535")
            }
            port = value
        }
        return (String(host), port)
    }

    private static func parseUnix(_ rest: String, original: String) throws(RedisError) -> RedisConnectionConfiguration {
        var pathPart = Substring(rest)
        var query: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            pathPart = rest[..<question]
            query = rest[rest.index(after: question)...]
        }
        guard pathPart.hasPrefix("/"), pathPart.count > 1 else {
            throw .invalidURL(original, "a unix socket URL needs an absolute path: unix:///path/to/redis.sock")
        }
        guard let path = percentDecode(pathPart) else { throw .invalidURL(original, "bad percent-encoding in the path") }
        var configuration = RedisConnectionConfiguration(endpoint: .unixSocket(path: path))
        var user: String?
        var password: String?
        for (name, value) in try parseQuery(query, original: original) {
            switch name {
            case "db":
                guard let database = Int(value), database >= 0 else {
                    throw .invalidURL(original, "database '\(value)' is not a non-negative integer")
                }
                configuration.database = database
            case "password": password = value
            case "user", "username": user = value
            default: throw .invalidURL(original, "unknown query parameter (known: db, user, password)")
            }
        }
        if let password, !password.isEmpty {
            configuration.authentication = .init(username: user, password: password)
        } else if user != nil {
            throw .invalidURL(original, "user given without password")
        }
        return configuration
    }

    /// The `name=value` pairs of a query string (values percent-decoded), in order.
    static func parseQuery(_ query: Substring, original: String) throws(RedisError) -> [(name: Substring, value: String)] {
        var pairs: [(name: Substring, value: String)] = []
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let value = percentDecode(parts[1]) else {
                throw .invalidURL(original, "malformed query parameter (expected name=value, percent-encoded)")
            }
            pairs.append((parts[0], value))
        }
        return pairs
    }

    /// Decodes `%XX` escapes (and `+` as a space when `plusAsSpace`, as in form bodies); `nil` for a bad escape
    /// or invalid UTF-8.
    package static func percentDecode(_ text: Substring, plusAsSpace: Bool = false) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
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

    /// The URL with any password replaced by `***`, safe to log or put in an error.
    public static func redactingPassword(_ url: String) -> String {
        var result = url
        if let schemeEnd = url.firstRange(of: "://"), let at = url[schemeEnd.upperBound...].lastIndex(of: "@") {
            let info = url[schemeEnd.upperBound..<at]
            let user = info.firstIndex(of: ":").map { info[..<$0] } ?? ""
            result = String(url[..<schemeEnd.upperBound]) + user + ":***" + url[at...]
        }
        if let range = result.firstRange(of: "password=") {
            let end = result[range.upperBound...].firstIndex(of: "&") ?? result.endIndex
            result.replaceSubrange(range.upperBound..<end, with: "***")
        }
        return result
    }
}
