// MemorySessionStore: the in-process SessionStore: same semantics as Redis, for development and single-process use.

import Synchronization

/// A ``SessionStore`` in this process's memory, with exactly the semantics of the Redis store (the same
/// conformance suite runs against both). Use it for development, tests (with a ``ManualSessionClock``) and
/// single-instance deployments; sessions vanish when the process ends.
///
/// ```swift
/// let clock = ManualSessionClock()
/// let store = try MemorySessionStore(clock: clock)
/// let session = try await store.create(user: "alice")
/// clock.advance(by: .seconds(31 * 60))      // past the idle timeout
/// try await store.load(session.token!.rawValue)   // nil
/// ```
public final class MemorySessionStore: SessionStore {
    struct Record: Sendable {
        var created: Int64
        var lastAccess: Int64
        var idle: Int64
        var absoluteExpiry: Int64
        var revision: Int64
        var user: String?
        var attributes: [String: [UInt8]]
        var expiresAt: Int64
        /// Set by renewals: the family the CSRF token is bound to.
        var family: SessionFamily?
        /// The ids of the renewal tombstones that lead here (ended with the session).
        var predecessors: [String] = []
        /// Recorded by a login or re-authentication.
        var authentication: AuthenticationContext?
    }

    struct Tombstone: Sendable {
        var successor: String
        var rotatedAt: Int64
        var grace: Int64
        var expiresAt: Int64
    }

    enum Entry: Sendable {
        case live(Record)
        case tombstone(Tombstone)

        var expiresAt: Int64 {
            switch self {
            case .live(let record): record.expiresAt
            case .tombstone(let tombstone): tombstone.expiresAt
            }
        }
    }

    struct State: Sendable {
        var entries: [SessionIdentity: Entry] = [:]
        /// user → session ids (all in the user's tag)
        var indexes: [String: [String: Int64]] = [:]
    }

    /// How many renewal tombstones are followed at most, and kept per session for ending its family.
    static let maximumChain = 16

    public let configuration: SessionConfiguration
    let keyring: SessionKeyring
    let clock: any SessionClock
    let state = Mutex(State())

    /// Creates an in-memory store.
    /// - Parameters:
    ///   - keyring: server secrets (default: a random one for this process).
    ///   - configuration: expiry, rotation and limits.
    ///   - clock: the time source (default: the system clock).
    /// - Throws: ``SessionStoreError`` `.invalidConfiguration`.
    public init(
        keyring: SessionKeyring = .ephemeral(),
        configuration: SessionConfiguration = .init(),
        clock: any SessionClock = SystemSessionClock()
    ) throws(SessionStoreError) {
        try configuration.validate()
        self.keyring = keyring
        self.configuration = configuration
        self.clock = clock
    }
}

extension MemorySessionStore.State {
    /// The live entry for an identity, removing it when its time is up.
    mutating func entry(_ identity: SessionIdentity, now: Int64) -> MemorySessionStore.Entry? {
        guard let entry = entries[identity] else { return nil }
        if entry.expiresAt <= now {
            entries[identity] = nil
            return nil
        }
        return entry
    }

    mutating func record(_ identity: SessionIdentity, now: Int64) -> MemorySessionStore.Record? {
        if case .live(let record) = entry(identity, now: now) { return record }
        return nil
    }

    /// The live session an identity leads to, following renewals still within their grace (a request that
    /// loaded the session before another one renewed it writes to the successor).
    mutating func resolve(_ identity: SessionIdentity, now: Int64) -> (SessionIdentity, MemorySessionStore.Record)? {
        var target = identity
        for _ in 0..<4 {
            switch entry(target, now: now) {
            case .live(let record): return (target, record)
            case .tombstone(let tombstone) where now - tombstone.rotatedAt <= tombstone.grace:
                target = SessionIdentity(tag: target.tag, id: tombstone.successor)
            default: return nil
            }
        }
        return nil
    }

    /// Sets the record's expiry to min(idle, time to absolute expiry); `false` (and removed) when that is over.
    mutating func refresh(_ identity: SessionIdentity, _ record: inout MemorySessionStore.Record, now: Int64) -> Bool {
        let want = min(record.idle, record.absoluteExpiry - now)
        guard want > 0 else {
            entries[identity] = nil
            return false
        }
        record.expiresAt = now + want
        record.lastAccess = now
        return true
    }

    /// The user's live session ids, oldest first, pruning entries of sessions that are gone.
    mutating func liveSessions(ofUser user: String, tag: String, now: Int64) -> [(id: String, created: Int64)] {
        var index = indexes[user] ?? [:]
        for id in index.keys where record(SessionIdentity(tag: tag, id: id), now: now) == nil {
            index[id] = nil
        }
        indexes[user] = index.isEmpty ? nil : index
        return index.map { ($0.key, $0.value) }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
    }

    /// Follows renewal tombstones (whatever their grace) to the live session they lead to, if any.
    mutating func liveHead(from identity: SessionIdentity, now: Int64) -> SessionIdentity? {
        var target = identity
        for _ in 0..<MemorySessionStore.maximumChain {
            switch entry(target, now: now) {
            case .live: return target
            case .tombstone(let tombstone): target = SessionIdentity(tag: target.tag, id: tombstone.successor)
            case nil: return nil
            }
        }
        return nil
    }

    /// Ends a session and its family's renewal tombstones, and removes it from its user's index.
    mutating func endFamily(_ identity: SessionIdentity, now: Int64) {
        if case .live(let record) = entry(identity, now: now) {
            for id in record.predecessors { entries[SessionIdentity(tag: identity.tag, id: id)] = nil }
            removeFromIndex(user: record.user, id: identity.id)
        }
        entries[identity] = nil
    }

    /// Applies the per-user limit before adding a session: evicts the oldest, or returns the refusal.
    /// The evicted session ids are added to `evicted`.
    mutating func makeRoom(
        forUser user: String, tag: String, limit: Int, refuse: Bool, now: Int64, evicted: inout [String]
    ) -> SessionStoreError? {
        let live = liveSessions(ofUser: user, tag: tag, now: now)
        guard live.count >= limit else { return nil }
        if refuse { return SessionStoreError(.limitReached, "the user already has \(limit) sessions") }
        for oldest in live.prefix(live.count - limit + 1) {
            endFamily(SessionIdentity(tag: tag, id: oldest.id), now: now)
            evicted.append(oldest.id)
        }
        return nil
    }

    mutating func removeFromIndex(user: String?, id: String) {
        guard let user else { return }
        indexes[user]?[id] = nil
        if indexes[user]?.isEmpty == true { indexes[user] = nil }
    }
}

extension MemorySessionStore {
    /// How many entries (sessions and renewal tombstones) are stored and not yet expired: for tests that check
    /// that nothing is left behind.
    package var storedEntryCount: Int {
        let now = clock.nowMilliseconds()
        return state.withLock { state in state.entries.values.filter { $0.expiresAt > now }.count }
    }
}
