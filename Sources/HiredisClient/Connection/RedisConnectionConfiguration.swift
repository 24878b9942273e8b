// RedisConnectionConfiguration: where and how one connection reaches Redis.

import Tracing

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
        /// misses it fails at once with ``RedisError/Code/commandTimeout`` and only that command fails: its late
        /// reply is absorbed by a placeholder. Each call may override it. Default: 2 seconds.
        public var command: Duration = .seconds(2)
        /// How long past its deadline a written command may stay unanswered before the connection counts as stuck
        /// and is retired (failing what is still on it). Default: 10 seconds.
        public var retireAfter: Duration = .seconds(10)

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
    /// Enables TCP keep-alive probes on the socket. Default: `true`.
    public var tcpKeepAlive = true
    /// TLS settings; `nil` (the default, and `redis://`) connects in plain TCP. `rediss://` URLs set it.
    public var tls: RedisTLSConfiguration?
    /// The most late replies a connection absorbs at once (of written commands whose deadline passed, including
    /// cancelled ones, which count from their deadline); beyond it the connection is retired. Default: `1024`.
    public var maximumPlaceholders = 1024
    /// The most elements one array reply may announce; a larger announcement is a protocol error that retires the
    /// connection (hiredis 0.14 would allocate 8 bytes per announced element up front). Default: 1,048,576.
    public var maximumArrayElements = 1 << 20
    /// The tracer of the connection's command spans (a client span per command or pipeline, named by its commands,
    /// never carrying an argument or a key; see the README's "Tracing"); only commands issued inside a traced context
    /// get one. `nil` (the default): the tracer bootstrapped in `InstrumentationSystem` when the connection opens, so
    /// bootstrap before opening connections. With no tracer (or `NoOpTracer`) the connection makes no spans at all.
    public var tracer: (any Tracer)?

    /// Creates a configuration for an endpoint.
    public init(endpoint: Endpoint = .tcp(host: "127.0.0.1", port: 6379)) {
        self.endpoint = endpoint
    }

    /// Creates a configuration from a `redis://[user:password@]host[:port][/db]`,
    /// `rediss://[user:password@]host[:port][/db]` (TLS, verified against the system's trust roots unless
    /// ``tls`` is changed) or `unix:///path/to/socket[?db=N]` URL.
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
        if timeouts.connect <= .zero || timeouts.command <= .zero || timeouts.retireAfter <= .zero {
            throw RedisError(.invalidConfiguration, "timeouts must be positive")
        }
        if maximumPlaceholders < 1 { throw RedisError(.invalidConfiguration, "maximumPlaceholders must be at least 1") }
        if !(1...Int(Int32.max)).contains(maximumArrayElements) {
            throw RedisError(.invalidConfiguration, "maximumArrayElements must be within 1...\(Int32.max)")
        }
        if tls != nil, case .unixSocket = endpoint {
            throw RedisError(.invalidConfiguration, "TLS is for TCP endpoints; a Unix socket is local")
        }
    }
}
