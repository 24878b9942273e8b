// One place for a connection in the pool: its phase, its users and its idle bookkeeping.

/// One place for a connection in the pool, from the first connection attempt until it has closed.
struct ConnectionSlot<Connection, Instant: InstantProtocol> {
    /// Where the slot is in its life.
    enum Phase: Hashable, Sendable {
        /// The factory is opening the connection.
        case connecting
        /// The last attempt failed; a back-off timer will start the next.
        case backingOff
        /// The connection is open and may be handed out.
        case open
        /// `close()` was called; waiting for `onClose`.
        case closing
    }

    /// Pool-assigned id, also passed to the factory.
    let id: Int
    var phase: Phase
    /// Set once open.
    var connection: Connection?
    /// The connection's thread affinity, kept here so that choosing a connection calls nothing on it.
    var affinity: ObjectIdentifier?
    /// Shared users right now.
    var sharedUsers = 0
    /// Whether one holder has the connection exclusively.
    var leased = false
    /// Whether a keep-alive check runs (the connection is not handed out meanwhile).
    var keepAliveRunning = false
    /// When the connection last became free of users.
    var idleSince: Instant
    /// When the last keep-alive check succeeded.
    var lastKeepAlive: Instant
    /// Whether a maintenance timer is outstanding for this slot.
    var timerArmed = false
    /// When the current (or last) connection attempt started.
    var attemptStarted: Instant

    init(id: Int, now: Instant) {
        self.id = id
        self.phase = .connecting
        self.idleSince = now
        self.lastKeepAlive = now
        self.attemptStarted = now
    }

    /// Open, with no user and no keep-alive check: may be leased exclusively.
    var isIdle: Bool {
        phase == .open && sharedUsers == 0 && !leased && !keepAliveRunning
    }

    /// May take one more shared user.
    var acceptsShared: Bool {
        phase == .open && !leased && !keepAliveRunning
    }

    /// Being opened or waiting to retry.
    var isPending: Bool {
        phase == .connecting || phase == .backingOff
    }
}

extension ConnectionSlot: Sendable where Connection: Sendable, Instant: Sendable {}
