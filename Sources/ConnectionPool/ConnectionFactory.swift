// The protocol through which a ConnectionPool opens and health-checks its connections.
import Logging

/// Makes and checks connections for the pool.
public protocol ConnectionFactory: Sendable {
    /// The kind of connection this factory makes.
    associatedtype Connection: PooledConnection

    /// Opens a new connection.
    ///
    /// - Parameters:
    ///   - id: A pool-assigned id, unique for the life of the pool; useful in logs.
    ///   - logger: The pool's logger, with the connection id in its metadata.
    /// - Throws: Any error that kept the connection from opening; the pool retries with back-off.
    /// - Returns: The open connection.
    func makeConnection(id: Int, logger: Logger) async throws -> Connection

    /// Keep-alive check of an idle connection (e.g. PING). Throwing closes the connection.
    ///
    /// The pool hands the connection to nobody while the check runs.
    /// - Parameters:
    ///   - connection: The idle connection to check.
    ///   - logger: The pool's logger, with the connection id in its metadata.
    /// - Throws: Any error; the pool then closes and, if needed, replaces the connection.
    func keepAlive(_ connection: Connection, logger: Logger) async throws
}

extension ConnectionFactory {
    /// Default keep-alive check: does nothing and reports the connection healthy.
    ///
    /// - Parameters:
    ///   - connection: The idle connection to check.
    ///   - logger: Unused.
    /// - Throws: Never.
    public func keepAlive(_ connection: Connection, logger: Logger) async throws {}
}
