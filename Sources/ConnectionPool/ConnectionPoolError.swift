// The error a ConnectionPool throws when it cannot hand out a connection.

/// The error a ``ConnectionPool`` throws when it cannot hand out a connection.
///
/// Compare with the static members (`error == .leaseTimeout`): equality looks at the kind only,
/// not at the details in ``description`` or ``underlying``.
public struct ConnectionPoolError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case leaseTimeout
        case circuitOpen
        case shutdown
    }

    /// What the pool looked like when the error happened, for the message.
    struct Context: Sendable {
        var timeout: Duration?
        var statistics: PoolStatistics
        var maximum: Int
        var consecutiveFailures: Int
    }

    private let code: Code
    private let context: Context?

    /// The last error of the connection factory, when a failing server is the cause.
    public let underlying: (any Error)?

    private init(code: Code, context: Context? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.context = context
        self.underlying = underlying
    }

    /// No connection became free before the request's deadline.
    public static var leaseTimeout: ConnectionPoolError { .init(code: .leaseTimeout) }

    /// The server looks down (consecutive connection attempts failed and none is open); the request failed fast.
    public static var circuitOpen: ConnectionPoolError { .init(code: .circuitOpen) }

    /// The pool is shutting down or has shut down and hands out no more connections.
    public static var shutdown: ConnectionPoolError { .init(code: .shutdown) }

    static func leaseTimeout(_ context: Context, lastConnectError: (any Error)?) -> ConnectionPoolError {
        .init(code: .leaseTimeout, context: context, underlying: lastConnectError)
    }

    static func circuitOpen(_ context: Context, lastConnectError: (any Error)?) -> ConnectionPoolError {
        .init(code: .circuitOpen, context: context, underlying: lastConnectError)
    }

    /// Compares the kind of two errors, ignoring their details.
    /// - Parameters:
    ///   - lhs: An error.
    ///   - rhs: Another error.
    public static func == (lhs: ConnectionPoolError, rhs: ConnectionPoolError) -> Bool {
        lhs.code == rhs.code
    }

    /// What happened and what to do about it.
    public var description: String {
        var text: String
        switch code {
        case .leaseTimeout:
            text = "no connection within \(context?.timeout?.poolDescription ?? "the lease timeout")"
            if let context {
                let s = context.statistics
                text += " (\(s.busy) of \(context.maximum) connections busy"
                if s.connecting > 0 { text += ", \(s.connecting) connecting" }
                text += ", \(s.waiting) waiting)"
            }
            text += "; raise connections.maximum or timeouts.leaseTimeout, or hold connections for less time"
        case .circuitOpen:
            text = "circuit open: "
            if let context {
                text += "\(context.consecutiveFailures) consecutive connection attempts failed"
            } else {
                text += "connection attempts keep failing"
            }
            text += " and no connection is open, so requests fail fast; check that the server is reachable"
            text += " (the pool retries in the background and closes the circuit on the first success)"
        case .shutdown:
            text = "connection pool is shut down or shutting down; no new connections are handed out"
        }
        if let underlying {
            text += "; last connection error: \(underlying)"
        }
        return text
    }
}
