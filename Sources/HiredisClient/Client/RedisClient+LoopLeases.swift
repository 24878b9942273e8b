// RedisClient+LoopLeases: callers on an event loop share one pooled connection per loop without the pool's lock.

import ConnectionPool
import NIOCore
import NIOPosix

/// What the tasks running on one event loop share: one shared use of a pooled connection (on that loop, when the
/// pool has one), taken from the pool when the first of them needs it and given back when the last is done.
///
/// Touched only on its loop (in an `NIOLoopBoundBox`), so it needs no lock: the commands of tasks on the loop skip the
/// pool's lock, which both loops would otherwise take twice per command. The use is given back after
/// `reuseLimit` commands even under constant load, so that exclusive leases and the pool's balancing get their turn;
/// a connection that closed, or that carries `maximumSharedUsers` commands, is not handed out, and after
/// ``RedisClient/shutdown()`` every command goes to the pool (which refuses it).
struct LoopLease {
    /// Commands served by one use before it is given back (once idle).
    static let reuseLimit = 512

    var lease: SharedLease<RedisConnection>?
    /// Commands of this loop's tasks in flight on the lease.
    var users = 0
    /// Commands served since the lease was taken.
    var served = 0
    /// No new user: the lease goes back once its users are done.
    var retiring = false
}

extension RedisClient {
    /// A use of a connection for one command: the loop's shared lease, or one taken from the pool for this command.
    enum Borrowed {
        case loop(RedisConnection, NIOLoopBoundBox<LoopLease>)
        case own(SharedLease<RedisConnection>)

        var connection: RedisConnection {
            switch self {
            case .loop(let connection, _): connection
            case .own(let lease): lease.connection
            }
        }
    }

    /// The lease box of the event loop the caller runs on, if it is one of the client's.
    var currentLoopLease: NIOLoopBoundBox<LoopLease>? {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return nil }
        return loopLeases[ObjectIdentifier(loop as AnyObject)]
    }

    /// Runs `body` with a connection for one shared command, through the loop's lease when there is one.
    func withLoopConnection<Result>(
        _ box: NIOLoopBoundBox<LoopLease>,
        _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let borrowed = try await borrow(box)
        defer { giveBack(borrowed) }
        return try await body(borrowed.connection)
    }

    private func borrow(_ box: NIOLoopBoundBox<LoopLease>) async throws -> Borrowed {
        let cap = configuration.pool.connections.maximumSharedUsers
        if let lease = box.value.lease, !box.value.retiring, box.value.users < cap, !isShutDown,
           lease.connection.isReusable {
            box.value.users += 1
            box.value.served += 1
            if box.value.served >= LoopLease.reuseLimit { box.value.retiring = true }
            return .loop(lease.connection, box)
        }
        let lease = try await pool.leaseShared()
        // Still on the loop (the caller runs there); another task may have installed a lease meanwhile.
        guard box.eventLoop.inEventLoop, box.value.lease == nil else { return .own(lease) }
        box.value = LoopLease(lease: lease, users: 1, served: 1)
        return .loop(lease.connection, box)
    }

    private func giveBack(_ borrowed: Borrowed) {
        switch borrowed {
        case .own(let lease):
            pool.releaseShared(lease)
        case .loop(_, let box):
            // A task that prefers the loop resumes there; should it ever not, the count is still kept on the loop.
            guard box.eventLoop.inEventLoop else {
                box.eventLoop.execute { self.giveBackOnLoop(box) }
                return
            }
            giveBackOnLoop(box)
        }
    }

    private func giveBackOnLoop(_ box: NIOLoopBoundBox<LoopLease>) {
        box.value.users -= 1
        // The last user is done: the use goes back, so that an idle loop holds nothing.
        guard box.value.users == 0, let lease = box.value.lease else { return }
        box.value = LoopLease()
        pool.releaseShared(lease)
    }
}
