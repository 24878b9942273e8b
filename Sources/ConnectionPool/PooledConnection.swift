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

    /// Whether the calling thread is the one that serves this connection (its event loop): shared users are then
    /// given such a connection first, so that they pay no thread hop. Default: `false`.
    var isLocalToCurrentThread: Bool { get }
}

extension PooledConnection {
    /// Connections are reusable unless they say otherwise.
    public var isReusable: Bool { true }

    /// Connections have no thread affinity unless they say otherwise.
    public var isLocalToCurrentThread: Bool { false }
}
