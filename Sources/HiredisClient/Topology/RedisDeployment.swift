// RedisDeployment: which Redis a client talks to: one server, a Sentinel-watched primary, or a Redis Cluster.

/// The Redis deployment a client talks to, chosen by configuration or by URL (``RedisURL/parseDeployment(_:)``).
///
/// ```swift
/// let standalone = try RedisURL.parseDeployment("redis://127.0.0.1:6379")
/// let sentinel = try RedisURL.parseDeployment("redis-sentinel://s1:26379,s2:26379/mymaster?db=0")
/// let cluster = try RedisURL.parseDeployment("redis-cluster://app:secret@n1:7000,n2:7001")
/// ```
public enum RedisDeployment: Sendable {
    /// One server (or a proxy in front of several).
    case standalone(RedisConnectionConfiguration)
    /// A primary found and followed through Redis Sentinel.
    case sentinel(RedisSentinelConfiguration)
    /// A Redis Cluster, discovered from seed nodes.
    case cluster(RedisClusterConfiguration)
}

/// A primary watched by Redis Sentinel: the sentinels to ask, the primary's name, and how to connect to data nodes.
public struct RedisSentinelConfiguration: Sendable {
    /// The sentinels, asked in turn for the primary's address.
    public var sentinels: [RedisConnectionConfiguration.Endpoint]
    /// The name the sentinels monitor the primary under (`sentinel monitor <name> …`).
    public var primaryName: String
    /// How to connect to the primary once found: credentials, database, TLS, timeouts (its endpoint is replaced
    /// by the address the sentinels give).
    public var node: RedisConnectionConfiguration
    /// Credentials for the sentinels themselves (`sentinel_password`, `sentinel_user`); `nil`: none. The
    /// credentials of ``node`` are the data nodes', never sent to a sentinel.
    public var sentinelAuthentication: RedisConnectionConfiguration.Authentication?

    /// Creates a configuration.
    public init(
        sentinels: [RedisConnectionConfiguration.Endpoint],
        primaryName: String,
        node: RedisConnectionConfiguration = .init(),
        sentinelAuthentication: RedisConnectionConfiguration.Authentication? = nil
    ) {
        self.sentinels = sentinels
        self.primaryName = primaryName
        self.node = node
        self.sentinelAuthentication = sentinelAuthentication
    }

    /// How to connect to one sentinel: the nodes' TLS and timeouts, the sentinels' own credentials, no database.
    public func sentinelConnection(_ endpoint: RedisConnectionConfiguration.Endpoint) -> RedisConnectionConfiguration {
        var configuration = node
        configuration.endpoint = endpoint
        configuration.authentication = sentinelAuthentication
        configuration.database = 0
        return configuration
    }
}

/// A Redis Cluster: seed nodes to discover the slot map from, and how to connect to every node.
public struct RedisClusterConfiguration: Sendable {
    /// Nodes to ask for the slot map (any reachable one will do; all of them are tried in turn).
    public var seeds: [RedisConnectionConfiguration.Endpoint]
    /// How to connect to each node: credentials, TLS, timeouts (the endpoint is replaced per node; a cluster has
    /// only database 0).
    public var node: RedisConnectionConfiguration

    /// Creates a configuration.
    public init(seeds: [RedisConnectionConfiguration.Endpoint], node: RedisConnectionConfiguration = .init()) {
        self.seeds = seeds
        self.node = node
    }

    /// How to connect to the node at `endpoint`.
    public func nodeConnection(_ endpoint: RedisConnectionConfiguration.Endpoint) -> RedisConnectionConfiguration {
        var configuration = node
        configuration.endpoint = endpoint
        return configuration
    }
}
