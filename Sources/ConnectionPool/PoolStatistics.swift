// A snapshot of how many connections are in each state, for gauges and error messages.

/// How many connections are in each state and how many requests wait.
struct PoolStatistics: Sendable, Equatable {
    /// Connections exclusively leased.
    var leased = 0
    /// Connections carrying at least one shared user.
    var shared = 0
    /// Open connections with no user (keep-alive checks included).
    var idle = 0
    /// Connections being opened or waiting to retry.
    var connecting = 0
    /// Requests waiting for a connection.
    var waiting = 0

    /// Connections in use, shared or leased.
    var busy: Int { leased + shared }
}
