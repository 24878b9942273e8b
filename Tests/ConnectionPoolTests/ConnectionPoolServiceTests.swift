// Runner test of the Service conformance: a ServiceGroup's graceful shutdown stops the pool.
import ServiceLifecycle
import Testing
@testable import ConnectionPool

@Suite("ConnectionPool as a Service")
struct ConnectionPoolServiceTests {
    @Test func serviceGroupGracefulShutdownClosesThePool() async throws {
        let factory = FakeConnectionFactory()
        let pool = ConnectionPool(configuration: ConnectionPoolConfiguration(), factory: factory, logger: quietLogger)
        let group = ServiceGroup(services: [pool], logger: quietLogger)
        let running = Task { try await group.run() }
        try await pool.withSharedConnection { _ in }
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(!factory.connections.isEmpty)
        #expect(factory.connections.allSatisfy { $0.isClosed })
        await #expect(throws: ConnectionPoolError.shutdown) {
            try await pool.withSharedConnection { _ in }
        }
    }
}
