// Runner tests of shutdown: graceful shutdown waits for leases in flight, cancelling run() closes all.
import Testing
@testable import ConnectionPool

@Suite("ConnectionPool runner: shutdown")
struct ConnectionPoolShutdownTests {
    @Test func gracefulShutdownWaitsForALeaseInFlight() async throws {
        let factory = FakeConnectionFactory()
        let pool = ConnectionPool(
            configuration: ConnectionPoolConfiguration(), factory: factory, logger: quietLogger)
        let stopped = Flag()
        let run = Task {
            try await pool.run()
            stopped.set()
        }
        let held = Gate()
        let release = Gate()
        let user = Task {
            try await pool.withExclusiveConnection { connection in
                held.open()
                await release.wait()
                return connection
            }
        }
        await held.wait()
        pool.shutdown()
        await #expect(throws: ConnectionPoolError.shutdown) {
            try await pool.withSharedConnection { _ in }
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(!stopped.isSet, "run() waits for the lease in flight")
        #expect(factory.connections.allSatisfy { !$0.isClosed })
        release.open()
        let connection = try await user.value
        try await run.value
        #expect(stopped.isSet)
        #expect(connection.isClosed)
    }

    @Test func cancellingRunClosesEverythingAtOnce() async throws {
        var configuration = ConnectionPoolConfiguration()
        configuration.connections = .init(minimum: 1, maximum: 1)
        configuration.timeouts.leaseTimeout = .seconds(30)
        let factory = FakeConnectionFactory()
        let pool = ConnectionPool(configuration: configuration, factory: factory, logger: quietLogger)
        let run = Task { try await pool.run() }
        let held = Gate()
        let release = Gate()
        let user = Task {
            try await pool.withExclusiveConnection { connection in
                held.open()
                await release.wait()
                return connection
            }
        }
        await held.wait()
        let waiter = Task { try await pool.withSharedConnection { _ in } }
        #expect(await eventually { pool.statistics.waiting == 1 })
        run.cancel()
        try await run.value
        await #expect(throws: ConnectionPoolError.shutdown) { try await waiter.value }
        #expect(factory.connections.allSatisfy { $0.isClosed }, "even the leased connection is closed")
        release.open()
        _ = try await user.value
        await #expect(throws: ConnectionPoolError.shutdown) {
            try await pool.withSharedConnection { _ in }
        }
    }
}
