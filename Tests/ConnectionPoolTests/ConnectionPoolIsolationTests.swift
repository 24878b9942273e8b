// Runner tests of calling conventions: actor callers, non-Sendable captures, errors thrown by the body.
import Testing
@testable import ConnectionPool

/// An actor that uses the pool and mutates its own state inside the body closures.
private actor SessionStore {
    let pool: ConnectionPool<FakeConnectionFactory>
    private(set) var uses = 0

    init(pool: ConnectionPool<FakeConnectionFactory>) {
        self.pool = pool
    }

    func touch() async throws {
        try await pool.withSharedConnection { _ in uses += 1 }
        try await pool.withExclusiveConnection { _ in uses += 1 }
    }
}

/// Deliberately not Sendable.
private final class Tally {
    var count = 0
}

private struct BodyError: Error {}

@Suite("ConnectionPool calling conventions")
struct ConnectionPoolIsolationTests {
    @Test func actorCallersMutateTheirStateInsideTheBody() async throws {
        try await withPool(ConnectionPoolConfiguration()) { pool in
            let store = SessionStore(pool: pool)
            try await store.touch()
            try await store.touch()
            #expect(await store.uses == 4)
        }
    }

    @Test func bodiesMayCaptureNonSendableState() async throws {
        try await withPool(ConnectionPoolConfiguration()) { pool in
            let tally = Tally()
            try await pool.withSharedConnection { _ in tally.count += 1 }
            try await pool.withExclusiveConnection { _ in tally.count += 1 }
            #expect(tally.count == 2)
        }
    }

    @Test func aThrowingBodyStillGivesTheConnectionBack() async throws {
        var configuration = ConnectionPoolConfiguration()
        configuration.connections = .init(minimum: 1, maximum: 1)
        configuration.timeouts.leaseTimeout = .milliseconds(500)
        try await withPool(configuration) { pool in
            await #expect(throws: BodyError.self) {
                try await pool.withExclusiveConnection { _ in throw BodyError() }
            }
            await #expect(throws: BodyError.self) {
                try await pool.withSharedConnection { _ in throw BodyError() }
            }
            #expect(pool.statistics == PoolStatistics(idle: 1))
            try await pool.withExclusiveConnection { _ in }
        }
    }
}
