// LoginSlots: caps the sessions the bench keeps logged in at once per account, below the server's per-user limit.

import Synchronization

/// How many sessions of each account the bench may hold logged in at once.
///
/// The server keeps at most `maximumSessionsPerUser` (default 32) sessions per user and evicts the oldest beyond
/// that. Hundreds of virtual users sharing the two demo accounts would evict each other's sessions and every check
/// would fail for a reason that is policy, not inconsistency. So a virtual user takes a slot of its account before
/// its journey starts (waiting, untimed, when none is free) and gives it back when its session is logged out.
final class LoginSlots: Sendable {
    /// Slots per account; 0: no cap.
    let perUser: Int
    private let inUse = Mutex<[String: Int]>([:])

    init(perUser: Int) { self.perUser = perUser }

    /// Takes a slot of `user`'s; `false` when all are taken.
    func acquire(_ user: String) -> Bool {
        guard perUser > 0 else { return true }
        return inUse.withLock { table in
            guard table[user, default: 0] < perUser else { return false }
            table[user, default: 0] += 1
            return true
        }
    }

    /// Gives a slot of `user`'s back.
    func release(_ user: String) {
        guard perUser > 0 else { return }
        inUse.withLock { $0[user, default: 1] -= 1 }
    }
}
