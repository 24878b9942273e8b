// RedisError: every failure of the client, as one struct wrapping a private code.

/// An error reply from the Redis server, such as `WRONGTYPE Operation against a key holding the wrong kind of value`.
///
/// Error replies do not retire the connection.
public struct RedisServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The whole error message as Redis sent it.
    public let message: String

    /// The error prefix: the first word of the message (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `NOAUTH`, `WRONGPASS`, …).
    public var code: Substring {
        message.prefix { $0 != " " }
    }

    /// Creates a server error from its message.
    public init(message: String) {
        self.message = message
    }

    public var description: String { "Redis replied with an error: \(message)" }
}

/// A failure of the Redis client: what happened and, where it helps, what to do.
///
/// Compare with the static members (`error.code == .commandTimeout`) or switch over ``code``.
/// New codes may be added without breaking callers.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: Sendable, Hashable {
            case invalidURL, invalidConfiguration, connectFailed, connectTimeout, authenticationFailed
            case io, protocolViolation, commandTimeout, connectionClosed, server, unexpectedReply
            case transactionAborted, tls, notAllowedHere, noPrimary
        }
        fileprivate let base: Base

        /// A Redis URL could not be parsed.
        public static let invalidURL = Code(base: .invalidURL)
        /// A configuration value is out of range.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// The connection could not be established (refused, unreachable, unknown host…).
        public static let connectFailed = Code(base: .connectFailed)
        /// Name resolution, connecting and the handshake did not finish within the connect timeout.
        public static let connectTimeout = Code(base: .connectTimeout)
        /// AUTH was refused (wrong user name or password) or the server demands a password.
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// A read or write on the socket failed, or the server closed it; the connection is retired.
        public static let io = Code(base: .io)
        /// The server sent bytes that are not RESP; the connection is retired.
        public static let protocolViolation = Code(base: .protocolViolation)
        /// No reply came before the command's deadline. Only this command fails: its late reply is absorbed, and the
        /// connection is retired only when it is stuck (see ``RedisConnectionConfiguration/Timeouts/retireAfter``).
        public static let commandTimeout = Code(base: .commandTimeout)
        /// The connection was closed (on request, or retired by an earlier failure) before the command completed.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// Redis answered with an error reply (see ``RedisError/serverError``); the connection stays usable.
        public static let server = Code(base: .server)
        /// The reply did not have the shape the caller asked for.
        public static let unexpectedReply = Code(base: .unexpectedReply)
        /// `EXEC` returned null because a `WATCH`ed key changed.
        public static let transactionAborted = Code(base: .transactionAborted)
        /// TLS failed: unknown certificate authority, wrong host name, handshake refused, or plain TCP on a TLS port.
        /// The client never falls back to plain TCP.
        public static let tls = Code(base: .tls)
        /// The command is refused where it was sent, before anything was written: it changes the connection's state
        /// or its reply stream (`SUBSCRIBE`, `MONITOR`, `SELECT`, `CLIENT REPLY`…) or it blocks (`BLPOP`…), which a
        /// shared connection cannot allow. Use an exclusive connection, or ``RedisClient/subscribe(to:)``.
        public static let notAllowedHere = Code(base: .notAllowedHere)
        /// No primary could be found: no sentinel answered or knew the primary's name, or the address they gave did
        /// not answer `ROLE` as a primary (a failover in progress). Retrying later may succeed.
        public static let noPrimary = Code(base: .noPrimary)

        public var description: String { "\(base)" }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, in words.
    public let message: String
    /// The server's error reply, for ``Code/server`` errors.
    public let serverError: RedisServerError?

    init(_ code: Code, _ message: String, serverError: RedisServerError? = nil) {
        self.code = code
        self.message = message
        self.serverError = serverError
    }

    public var description: String { "RedisError.\(code): \(message)" }

    /// `true` when the failure retired the connection (I/O, protocol, TLS, closed).
    public var retiredConnection: Bool {
        [.io, .protocolViolation, .connectionClosed, .tls].contains(code)
    }

    static func server(_ error: RedisServerError) -> RedisError {
        RedisError(.server, error.message, serverError: error)
    }

    static func unexpectedReply(_ reply: RedisReply, expected: String) -> RedisError {
        RedisError(.unexpectedReply, "expected \(expected), got \(reply)")
    }

    static func invalidURL(_ url: String, _ reason: String) -> RedisError {
        RedisError(.invalidURL, "invalid Redis URL '\(RedisURL.redactingPassword(url))': \(reason)")
    }
}
