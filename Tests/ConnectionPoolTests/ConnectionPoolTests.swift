// Runner tests with a fake factory: concurrency, exhaustion and lease timeout, cancellation of a waiter.
import Testing
@testable import ConnectionPool

@Suite("ConnectionPool runner")
struct ConnectionPoolTests {
    @Test func manyConcurrentSharedUsesAndExclusiveLeasesComplete() async throws {
        var configuration = ConnectionPoolConfiguration()
        configuration.connections = .init(minimum: 2, maximum: 8, sharedUsersBeforeGrowing: 16)
        configuration.timeouts.leaseTimeout = .seconds(20)
        let factory = FakeConnectionFactory()
        let completed = try await withPool(configuration, factory: factory) { pool in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<1_000 {
                    group.addTask {
                        try await pool.withSharedConnection { connection in
                            connection.beginShared()
                            await Task.yield()
                            connection.endShared()
                            return 1
                        }
                    }
                }
                for _ in 0..<200 {
                    group.addTask {
                        try await pool.withExclusiveConnection { connection in
                            connection.beginExclusive()
                            await Task.yield()
                            connection.endExclusive()
                            return 1
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        #expect(completed == 1_200)
        let connections = factory.connections
        #expect(connections.count <= 8)
        #expect(connections.map(\.overlapCount).reduce(0, +) == 0, "an exclusive holder met another user")
        #expect(connections.allSatisfy { $0.isClosed }, "shutdown closed every connection")
    }

    @Test func exhaustedPoolTimesOutWithAClearMessage() async throws {
        var configuration = ConnectionPoolConfiguration()
        configuration.connections = .init(minimum: 1, maximum: 1)
        configuration.timeouts.leaseTimeout = .milliseconds(100)
        try await withPool(configuration) { pool in
            try await pool.withExclusiveConnection { _ in
                let start = ContinuousClock.now
                let error = try await #require(throws: ConnectionPoolError.self) {
                    try await pool.withSharedConnection { _ in }
                }
                let waited = start.duration(to: .now)
                #expect(error == .leaseTimeout)
                #expect(error.description.hasPrefix("no connection within 100ms (1 of 1 connections busy, 1 waiting)"))
                #expect(waited >= .milliseconds(100) && waited < .seconds(2))
                let override = try await #require(throws: ConnectionPoolError.self) {
                    try await pool.withExclusiveConnection(timeout: .milliseconds(20)) { _ in }
                }
                #expect(override.description.hasPrefix("no connection within 20ms"))
            }
            // the pool serves again once the lease is back
            try await pool.withExclusiveConnection { _ in }
        }
    }

    @Test func cancellingAWaitingLeaseThrowsCancellationError() async throws {
        var configuration = ConnectionPoolConfiguration()
        configuration.connections = .init(minimum: 1, maximum: 1)
        configuration.timeouts.leaseTimeout = .seconds(30)
        try await withPool(configuration) { pool in
            try await pool.withExclusiveConnection { _ in
                let waiting = Task { try await pool.withExclusiveConnection { _ in } }
                #expect(await eventually { pool.statistics.waiting == 1 })
                let start = ContinuousClock.now
                waiting.cancel()
                let result = await waiting.result
                #expect(throws: CancellationError.self) { try result.get() }
                #expect(start.duration(to: .now) < .seconds(2))
                #expect(pool.statistics.waiting == 0)
            }
            try await pool.withSharedConnection { _ in }
        }
    }
}
