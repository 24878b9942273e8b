// StoreWorkload: the population of sessions, the operations of each workload, and the consistency checks.

import Foundation
import HiredisClient
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

/// One worker's sessions and what each is known to hold.
///
/// An operation that fails (a timeout, a failover) may or may not have happened, and the checks allow for both,
/// no more: a failed load changes nothing; after a failed save the stored value is the acknowledged one or the
/// attempted one; after a failed rotation or replacement the session's token is unknown, so it is checked once
/// more through the old token and then replaced by a fresh session before its next use.
final class OwnedSessions: Sendable {
    let sessions: Mutex<[Session]>
    /// The last value of attribute `w` a save of each session was acknowledged for.
    let acknowledged = Mutex<[Int: Int]>([:])
    /// The values of saves that failed after the last acknowledged one: any of them may have been written.
    let attempted = Mutex<[Int: Set<Int>]>([:])
    /// Sessions whose token is unknown after a failed rotation or replacement.
    let unknownToken = Mutex<Set<Int>>([])

    init(_ sessions: [Session]) { self.sessions = Mutex(sessions) }

    /// Whether a loaded value of `w` (`nil`: absent) is one the session may hold.
    func allows(_ value: Int?, at index: Int) -> Bool {
        value == acknowledged.withLock({ $0[index] }) || value.map { value in attempted.withLock { $0[index]?.contains(value) == true } } == true
    }

    /// Whether anything was written to the session (a value to look for after the run).
    func hasWrites(at index: Int) -> Bool {
        acknowledged.withLock { $0[index] != nil } || attempted.withLock { $0[index] != nil }
    }

    /// A fresh session at `index`: nothing written to it yet, its token known.
    func reset(_ index: Int, to session: Session) {
        sessions.withLock { $0[index] = session }
        acknowledged.withLock { $0[index] = nil }
        attempted.withLock { $0[index] = nil }
        unknownToken.withLock { _ = $0.remove(index) }
    }
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
            let unknown = part.unknownToken.withLock { $0 }
            for index in sessions.indices where !unknown.contains(index) && part.hasWrites(at: index) {
                guard let token = sessions[index].token?.rawValue, let loaded = try await store.load(token) else {
                    violation("a session with an acknowledged write is gone")
                    continue
                }
                if !part.allows(try? loaded.get("w", as: Int.self), at: index) { violation("an acknowledged attribute write is missing") }
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
            try await replaceIfUnknown(index, owned, store, payload, checks)
            try await perform(workload, index: index, iteration: iteration, store: store, owned: owned, payload: payload, checks: checks)
        } catch {
            // Writes must never reach a replica, failover or not.
            if isReadOnlyReply(error) { checks.violation("a replica's READONLY reached the caller: \(error)") }
            throw error
        }
    }

    /// Whether `error` is a `READONLY` reply of a replica (a write sent to a replica), as opposed to a typed failure
    /// that merely mentions one.
    static func isReadOnlyReply(_ error: any Error) -> Bool {
        let redisError = (error as? SessionStoreError)?.underlying as? RedisError ?? error as? RedisError
        return redisError?.serverError?.code == "READONLY"
    }

    /// A session whose token became unknown: checked once more through its old token (a failed replacement may have
    /// destroyed it, a failed rotation retired it: `nil` is allowed), then replaced by a fresh one.
    private static func replaceIfUnknown(
        _ index: Int, _ owned: OwnedSessions, _ store: any SessionStore, _ payload: [String: [UInt8]], _ checks: ConsistencyChecks
    ) async throws {
        guard owned.unknownToken.withLock({ $0.contains(index) }) else { return }
        let old = owned.sessions.withLock { $0[index] }
        if let loaded = try await store.load(old.token!.rawValue), !owned.allows(try? loaded.get("w", as: Int.self), at: index) {
            checks.violation("an acknowledged attribute write is missing")
        }
        owned.reset(index, to: try await store.create(user: nil, attributes: payload))
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
        do {
            try await store.save(&session)
        } catch {
            owned.attempted.withLock { _ = $0[index, default: []].insert(iteration) }
            throw error
        }
        owned.sessions.withLock { $0[index] = session }
        owned.acknowledged.withLock { $0[index] = iteration }
        owned.attempted.withLock { $0[index] = nil }
    }

    static func rotate(_ index: Int, _ owned: OwnedSessions, _ store: any SessionStore, _ checks: ConsistencyChecks) async throws {
        let session = owned.sessions.withLock { $0[index] }
        let successor: Session
        do {
            successor = try await store.rotate(session, .renewal)
        } catch {
            owned.unknownToken.withLock { _ = $0.insert(index) }
            throw error
        }
        owned.sessions.withLock { $0[index] = successor }
        checks.rememberRotated(session.token!.rawValue)
    }

    static func replace(
        _ index: Int, _ owned: OwnedSessions, _ store: any SessionStore, _ payload: [String: [UInt8]], _ checks: ConsistencyChecks
    ) async throws {
        let session = owned.sessions.withLock { $0[index] }
        do {
            try await store.destroy(session)
            checks.rememberDestroyed(session.token!.rawValue)
            if try await store.load(session.token!.rawValue) != nil { checks.violation("a destroyed session still loads") }
            owned.reset(index, to: try await store.create(user: nil, attributes: payload))
        } catch {
            owned.unknownToken.withLock { _ = $0.insert(index) }
            throw error
        }
    }
}
