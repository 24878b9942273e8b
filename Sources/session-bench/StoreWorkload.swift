// StoreWorkload: the population of sessions, the operations of each workload, and the consistency checks.

import Foundation
import SessionStore
import Synchronization

/// The sessions created before the run; each worker owns a disjoint slice it alone writes.
struct Population: Sendable {
    let sessions: [Session]

    static func create(store: any SessionStore, count: Int, payload: [String: [UInt8]], concurrency: Int) async throws -> Population {
        let sessions = try await withThrowingTaskGroup(of: [Session].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var created: [Session] = []
                    for _ in stride(from: worker, to: count, by: concurrency) {
                        created.append(try await store.create(user: nil, attributes: payload))
                    }
                    return created
                }
            }
            return try await group.reduce(into: [Session]()) { $0 += $1 }
        }
        return Population(sessions: sessions)
    }

    func partitioned(into parts: Int) -> [OwnedSessions] {
        (0..<parts).map { part in OwnedSessions(stride(from: part, to: sessions.count, by: parts).map { sessions[$0] }) }
    }
}

/// One worker's sessions and the last value it was told each one stored.
final class OwnedSessions: Sendable {
    let sessions: Mutex<[Session]>
    let acknowledged = Mutex<[Int: Int]>([:])
    /// Sessions whose last operation failed: it may or may not have happened (a timeout, a failover), so nothing
    /// about them is checked; each is replaced by a fresh session before its next use.
    let uncertain = Mutex<Set<Int>>([])

    init(_ sessions: [Session]) { self.sessions = Mutex(sessions) }
}

/// What the bench checks during and after the run; every violation is counted and a few are kept as examples.
final class ConsistencyChecks: Sendable {
    private let violations = Mutex<(count: Int, examples: [String])>((0, []))
    private let rotatedAway = Mutex<[String]>([])
    private let destroyed = Mutex<[String]>([])

    func violation(_ text: String) {
        violations.withLock { state in
            state.count += 1
            if state.examples.count < 5 { state.examples.append(text) }
        }
    }

    func examples() -> [String] { violations.withLock { $0.examples } }

    /// How many violations were found so far.
    var count: Int { violations.withLock { $0.count } }

    func rememberRotated(_ token: String) { rotatedAway.withLock { if $0.count < 2000 { $0.append(token) } } }
    func rememberDestroyed(_ token: String) { destroyed.withLock { if $0.count < 2000 { $0.append(token) } } }

    /// After the run: rotated-away tokens are refused once their grace is over, destroyed sessions stay gone,
    /// every acknowledged write is present.
    func verify(store: any SessionStore, grace: Duration, owned: [OwnedSessions]) async throws -> Int {
        try await Task.sleep(for: grace + .milliseconds(200))
        for token in rotatedAway.withLock({ $0 }) where try await store.load(token) != nil {
            violation("a rotated-away token still loads after its grace")
        }
        for token in destroyed.withLock({ $0 }) where try await store.load(token) != nil {
            violation("a destroyed session came back")
        }
        for part in owned {
            let sessions = part.sessions.withLock { $0 }
            for (index, value) in part.acknowledged.withLock({ $0 }) {
                guard let token = sessions[index].token?.rawValue, let loaded = try await store.load(token) else {
                    violation("a session with an acknowledged write is gone")
                    continue
                }
                if (try? loaded.get("w", as: Int.self)) != value { violation("an acknowledged attribute write is missing") }
            }
        }
        return violations.withLock { $0.count }
    }
}

/// The operations of each workload.
enum StoreOperations {
    static func perform(
        _ workload: StoreBench.Workload, worker: Int, iteration: Int, store: any SessionStore, population: Population,
        owned: OwnedSessions, payload: [String: [UInt8]], checks: ConsistencyChecks
    ) async throws {
        let count = owned.sessions.withLock { $0.count }
        let index = (iteration &* 31) % count
        do {
            try await replaceIfUncertain(index, owned, store, payload)
            try await perform(workload, index: index, iteration: iteration, store: store, owned: owned, payload: payload, checks: checks)
        } catch {
            // What the failed operation did is unknown: forget what this session was acknowledged to hold.
            owned.uncertain.withLock { _ = $0.insert(index) }
            owned.acknowledged.withLock { $0[index] = nil }
            // Writes must never reach a replica, failover or not.
            if "\(error)".contains("READONLY") { checks.violation("a replica's READONLY reached the caller: \(error)") }
            throw error
        }
    }

    private static func replaceIfUncertain(_ index: Int, _ owned: OwnedSessions, _ store: any SessionStore, _ payload: [String: [UInt8]]) async throws {
        guard owned.uncertain.withLock({ $0.contains(index) }) else { return }
        let fresh = try await store.create(user: nil, attributes: payload)
        owned.sessions.withLock { $0[index] = fresh }
        owned.uncertain.withLock { _ = $0.remove(index) }
    }

    private static func perform(
        _ workload: StoreBench.Workload, index: Int, iteration: Int, store: any SessionStore, owned: OwnedSessions,
        payload: [String: [UInt8]], checks: ConsistencyChecks
    ) async throws {
        switch workload {
        case .load: try await load(index, owned, store, checks)
        case .create: _ = try await store.create(user: nil, attributes: payload)
        case .save: try await save(index, iteration, owned, store)
        case .rotate: try await rotate(index, owned, store, checks)
        case .mixed:
            switch iteration % 100 {
            case ..<80: try await load(index, owned, store, checks)
            case ..<95: try await save(index, iteration, owned, store)
            case ..<99: try await rotate(index, owned, store, checks)
            default: try await replace(index, owned, store, payload, checks)
            }
        }
    }

    static func load(_ index: Int, _ owned: OwnedSessions, _ store: any SessionStore, _ checks: ConsistencyChecks) async throws {
        let token = owned.sessions.withLock { $0[index].token!.rawValue }
        if try await store.load(token) == nil { checks.violation("a live session did not load") }
    }

    static func save(_ index: Int, _ iteration: Int, _ owned: OwnedSessions, _ store: any SessionStore) async throws {
        var session = owned.sessions.withLock { $0[index] }
        try session.set("w", to: iteration)
        try await store.save(&session)
        owned.sessions.withLock { $0[index] = session }
        owned.acknowledged.withLock { $0[index] = iteration }
    }

    static func rotate(_ index: Int, _ owned: OwnedSessions, _ store: any SessionStore, _ checks: ConsistencyChecks) async throws {
        let session = owned.sessions.withLock { $0[index] }
        let successor = try await store.rotate(session, .renewal)
        owned.sessions.withLock { $0[index] = successor }
        checks.rememberRotated(session.token!.rawValue)
    }

    static func replace(
        _ index: Int, _ owned: OwnedSessions, _ store: any SessionStore, _ payload: [String: [UInt8]], _ checks: ConsistencyChecks
    ) async throws {
        let session = owned.sessions.withLock { $0[index] }
        try await store.destroy(session)
        if try await store.load(session.token!.rawValue) != nil { checks.violation("a destroyed session still loads") }
        checks.rememberDestroyed(session.token!.rawValue)
        let fresh = try await store.create(user: nil, attributes: payload)
        owned.sessions.withLock { $0[index] = fresh }
        owned.acknowledged.withLock { $0[index] = nil }
    }
}
