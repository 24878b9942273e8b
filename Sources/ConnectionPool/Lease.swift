// The handle of one use of a pooled connection: which slot it came from and the connection itself.

/// Whether a request shares a connection with others or needs it alone.
enum LeaseKind: Sendable, Hashable {
    /// Many users at once on the same connection.
    case shared
    /// One holder, nobody else, until it gives the connection back.
    case exclusive
}

/// One use of a connection, given back to the pool with the slot id when done.
struct Lease<Connection> {
    /// Pool-assigned id of the connection's slot.
    let slotID: Int
    /// The connection.
    let connection: Connection
}

extension Lease: Sendable where Connection: Sendable {}
