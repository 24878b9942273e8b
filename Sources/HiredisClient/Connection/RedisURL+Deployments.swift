// RedisURL+Deployments: parses redis-sentinel:// and redis-cluster:// URLs (and plain ones) into a RedisDeployment.

extension RedisURL {
    /// Parses any Redis URL into the deployment it names.
    ///
    /// Besides the one-server forms of ``parse(_:)`` (`redis://`, `rediss://`, `unix://`):
    /// - `redis-sentinel://[user:password@]host1[:port],host2[:port]/<primary-name>[?db=N&sentinel_user=U&sentinel_password=P]`:
    ///   the sentinels (port 26379 by default) and the name they monitor the primary under. The credentials before
    ///   `@` are the data nodes'; `sentinel_user` and `sentinel_password` are the sentinels' own.
    /// - `redis-cluster://[user:password@]host1[:port],host2[:port]`: seed nodes of a cluster (port 6379 by
    ///   default; a cluster has only database 0, so there is no path).
    /// - `rediss-sentinel://…` and `rediss-cluster://…`: the same with TLS to every node (and sentinel).
    ///
    /// - Throws: ``RedisError`` `.invalidURL`, naming the problem (never echoing a password).
    public static func parseDeployment(_ url: String) throws(RedisError) -> RedisDeployment {
        guard let schemeEnd = url.firstRange(of: "://") else { return .standalone(try parse(url)) }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        switch scheme {
        case "redis-sentinel", "rediss-sentinel":
            return .sentinel(try parseSentinel(rest, tls: scheme.hasPrefix("rediss"), original: url))
        case "redis-cluster", "rediss-cluster":
            return .cluster(try parseCluster(rest, tls: scheme.hasPrefix("rediss"), original: url))
        default:
            return .standalone(try parse(url))
        }
    }

    /// Whether the URL's scheme asks for TLS (`rediss://`, `rediss-sentinel://`, `rediss-cluster://`).
    public static func usesTLS(_ url: String) -> Bool {
        let scheme = url.lowercased()
        return scheme.hasPrefix("rediss://") || scheme.hasPrefix("rediss-sentinel://") || scheme.hasPrefix("rediss-cluster://")
    }

    /// The parts of a multi-host URL after its scheme.
    private struct MultiHost {
        var authentication: RedisConnectionConfiguration.Authentication?
        var endpoints: [RedisConnectionConfiguration.Endpoint] = []
        var path: Substring = ""
        var query: [(name: Substring, value: String)] = []
    }

    private static func splitMultiHost(_ rest: Substring, defaultPort: Int, original: String) throws(RedisError) -> MultiHost {
        if rest.contains("#") { throw .invalidURL(original, "fragments are not supported in Redis URLs") }
        var parts = MultiHost()
        var remainder = rest
        if let question = remainder.firstIndex(of: "?") {
            parts.query = try parseQuery(remainder[remainder.index(after: question)...], original: original)
            remainder = remainder[..<question]
        }
        // As in redis:// URLs, the path starts at the first '/' (a '/' in a password is written %2F).
        var authority = remainder
        if let slash = remainder.firstIndex(of: "/") {
            authority = remainder[..<slash]
            parts.path = remainder[remainder.index(after: slash)...]
        }
        if let at = authority.lastIndex(of: "@") {
            parts.authentication = try parseUserInfo(authority[..<at], original: original)
            authority = authority[authority.index(after: at)...]
        }
        for host in authority.split(separator: ",", omittingEmptySubsequences: false) {
            let (name, port) = try parseHostPort(host, original: original, defaultPort: defaultPort)
            let endpoint = RedisConnectionConfiguration.Endpoint.tcp(host: name, port: port)
            if !parts.endpoints.contains(endpoint) { parts.endpoints.append(endpoint) }
        }
        return parts
    }

    private static func parseSentinel(_ rest: Substring, tls: Bool, original: String) throws(RedisError) -> RedisSentinelConfiguration {
        let parts = try splitMultiHost(rest, defaultPort: 26379, original: original)
        guard !parts.path.isEmpty, !parts.path.contains("/"), let primaryName = percentDecode(parts.path), !primaryName.isEmpty,
              !primaryName.contains(where: { $0 == " " || $0.isNewline })
        else {
            throw .invalidURL(original, "a redis-sentinel:// URL ends with the primary's name: redis-sentinel://host:26379/mymaster")
        }
        var node = RedisConnectionConfiguration(endpoint: parts.endpoints[0])
        node.authentication = parts.authentication
        if tls { node.tls = RedisTLSConfiguration() }
        var sentinelUser: String?
        var sentinelPassword: String?
        for (name, value) in parts.query {
            switch name {
            case "db":
                guard let database = Int(value), database >= 0 else {
                    // The reason does not quote the value: a mistyped URL may carry a password there.
                    throw .invalidURL(original, "the db parameter must be a database number (a non-negative integer)")
                }
                node.database = database
            case "sentinel_password": sentinelPassword = value
            case "sentinel_user", "sentinel_username": sentinelUser = value
            default: throw .invalidURL(original, "unknown query parameter (known: db, sentinel_user, sentinel_password)")
            }
        }
        var sentinelAuthentication: RedisConnectionConfiguration.Authentication?
        if let sentinelPassword, !sentinelPassword.isEmpty {
            sentinelAuthentication = .init(username: sentinelUser, password: sentinelPassword)
        } else if sentinelUser != nil {
            throw .invalidURL(original, "sentinel_user given without sentinel_password")
        }
        return RedisSentinelConfiguration(
            sentinels: parts.endpoints, primaryName: primaryName, node: node, sentinelAuthentication: sentinelAuthentication)
    }

    private static func parseCluster(_ rest: Substring, tls: Bool, original: String) throws(RedisError) -> RedisClusterConfiguration {
        let parts = try splitMultiHost(rest, defaultPort: 6379, original: original)
        guard parts.path.isEmpty else {
            throw .invalidURL(original, "a redis-cluster:// URL has no path: a cluster has only database 0")
        }
        guard parts.query.isEmpty else {
            throw .invalidURL(original, "a redis-cluster:// URL takes no query parameters")
        }
        var node = RedisConnectionConfiguration(endpoint: parts.endpoints[0])
        node.authentication = parts.authentication
        if tls { node.tls = RedisTLSConfiguration() }
        return RedisClusterConfiguration(seeds: parts.endpoints, node: node)
    }
}
