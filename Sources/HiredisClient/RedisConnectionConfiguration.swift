// RedisConnectionConfiguration: where and how one connection reaches Redis.

/// How a ``RedisConnection`` reaches and prepares a Redis server.
///
/// ```swift
/// var configuration = try RedisConnectionConfiguration(url: "redis://app:secret@127.0.0.1:6379/2")
/// configuration.timeouts.command = .milliseconds(500)
/// configuration.clientName = "session-server-1"
/// ```
public struct RedisConnectionConfiguration: Sendable {
    /// Where the server listens.
    public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// A host name or IP address and a TCP port.
        case tcp(host: String, port: Int)
        /// The path of a Unix domain socket.
        case unixSocket(path: String)

        public var description: String {
            switch self {
            case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unixSocket(let path): "unix://\(path)"
            }
        }
    }

    /// Time limits.
    public struct Timeouts: Sendable {
        /// Bounds name resolution, the TCP or Unix connect, and the handshake (AUTH, SELECT, CLIENT SETNAME)
        /// together. Default: 2 seconds.
        public var connect: Duration = .seconds(2)
        /// The deadline of each command, from the moment it is issued until its reply arrives; a command that
        /// misses it fails with ``RedisError/Code/commandTimeout`` and, once written, retires the connection.
        /// Each call may override it. Default: 2 seconds.
        public var command: Duration = .seconds(2)

        /// The default timeouts.
        public init() {}
    }

    /// ACL credentials sent with `AUTH` when the connection opens.
    public struct Authentication: Sendable {
        /// The ACL user name; `nil` sends the one-argument `AUTH password` (the `default` user).
        public var username: String?
        /// The password.
        public var password: String

        /// Creates credentials.
        public init(username: String? = nil, password: String) {
            self.username = username
            self.password = password
        }
    }

    /// Where the server listens. Default: `127.0.0.1:6379`.
    public var endpoint: Endpoint
    /// Time limits for connecting and for commands.
    public var timeouts = Timeouts()
    /// Credentials for `AUTH`; `nil` (the default) sends no `AUTH`.
    public var authentication: Authentication?
    /// The database index to `SELECT`; `0` (the default) sends no `SELECT`.
    public var database: Int = 0
    /// A name set with `CLIENT SETNAME`, shown by `CLIENT LIST`; `nil` (the default) sets none.
    /// It must not contain spaces.
    public var clientName: String?
    /// Enables TCP keep-alive probes on the socket (hiredis' 15-second interval). Default: `true`.
    public var tcpKeepAlive = true

    /// Creates a configuration for an endpoint.
    public init(endpoint: Endpoint = .tcp(host: "127.0.0.1", port: 6379)) {
        self.endpoint = endpoint
    }

    /// Creates a configuration from a `redis://[user:password@]host[:port][/db]` or
    /// `unix:///path/to/socket[?db=N]` URL.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/invalidURL`` saying what is wrong.
    public init(url: String) throws(RedisError) {
        self = try RedisURL.parse(url)
    }

    func validate() throws(RedisError) {
        if case .tcp(_, let port) = endpoint, !(1...65535).contains(port) {
            throw RedisError(.invalidConfiguration, "port \(port) is outside 1...65535")
        }
        if database < 0 { throw RedisError(.invalidConfiguration, "database index \(database) is negative") }
        if let name = clientName, name.contains(where: { $0 == " " || $0.isNewline }) {
            throw RedisError(.invalidConfiguration, "client name '\(name)' must not contain spaces or newlines")
        }
        if timeouts.connect <= .zero || timeouts.command <= .zero {
            throw RedisError(.invalidConfiguration, "timeouts must be positive")
        }
    }
}
