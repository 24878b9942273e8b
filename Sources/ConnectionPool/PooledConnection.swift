// The protocol a connection must adopt so that a ConnectionPool can manage it.

/// A connection the pool can manage.
///
/// The pool never talks to the connection itself: it hands it to callers, asks it to close,
/// and listens for it having closed, so that it can evict and replace dead connections.
public protocol PooledConnection: AnyObject, Sendable {
    /// Starts closing the connection; must lead to the `onClose` closure being called.
    func close()

    /// Registers a closure called exactly once when the connection has closed.
    ///
    /// If the connection has already closed, the closure should be called at once.
    /// - Parameters:
    ///   - closure: Called with `nil` when the connection closed on request (``close()``),
    ///     or with the error that broke it.
    func onClose(_ closure: @escaping @Sendable ((any Error)?) -> Void)

    /// Whether the connection may be handed to another user after an exclusive lease; `false` makes the pool close
    /// and replace it instead (say, after its state could not be reset). Default: `true`.
    var isReusable: Bool { get }

    /// The thread (or event loop) that serves this connection, as an identity; shared users whose
    /// ``currentAffinity`` matches are given this connection first, so that they pay no thread hop. Default: `nil`.
    var affinity: ObjectIdentifier? { get }

    /// The affinity of the calling thread (its event loop), or `nil` when it has none. Default: `nil`.
    static var currentAffinity: ObjectIdentifier? { get }
}

extension PooledConnection {
    /// Connections are reusable unless they say otherwise.
    public var isReusable: Bool { true }

    /// Connections have no thread affinity unless they say otherwise.
    public var affinity: ObjectIdentifier? { nil }

    /// Callers have no thread affinity unless the connection type says otherwise.
    public static var currentAffinity: ObjectIdentifier? { nil }
}
